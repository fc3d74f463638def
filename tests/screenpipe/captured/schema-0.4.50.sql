CREATE TABLE _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);
CREATE TABLE video_chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT NOT NULL
, device_name TEXT NOT NULL DEFAULT '', sync_id TEXT, machine_id TEXT, synced_at DATETIME, fps REAL NOT NULL DEFAULT 0.5, cloud_blob_id TEXT DEFAULT NULL, evicted_at TIMESTAMP DEFAULT NULL);
CREATE TABLE sqlite_sequence(name,seq);
CREATE TABLE audio_chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT NOT NULL
, timestamp TIMESTAMP, sync_id TEXT, machine_id TEXT, synced_at DATETIME, evicted_at TIMESTAMP DEFAULT NULL, transcription_status TEXT
    NOT NULL DEFAULT 'pending'
    CHECK (transcription_status IN ('pending', 'transcribed', 'silent', 'failed')), transcription_attempts INTEGER
    NOT NULL DEFAULT 0, last_transcription_attempt_at TIMESTAMP, transcription_failure_reason TEXT);
CREATE INDEX idx_audio_chunks_timestamp ON audio_chunks(timestamp);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE vision_tags (
    vision_id INTEGER NOT NULL,
    tag_id INTEGER NOT NULL,
    PRIMARY KEY (vision_id, tag_id),
    FOREIGN KEY (vision_id) REFERENCES frames(id) ON DELETE CASCADE,
    FOREIGN KEY (tag_id) REFERENCES tags(id) ON DELETE CASCADE
);
CREATE TABLE audio_tags (
    audio_chunk_id INTEGER NOT NULL,
    tag_id INTEGER NOT NULL,
    PRIMARY KEY (audio_chunk_id, tag_id),
    FOREIGN KEY (audio_chunk_id) REFERENCES audio_chunks(id) ON DELETE CASCADE,
    FOREIGN KEY (tag_id) REFERENCES tags(id) ON DELETE CASCADE
);
CREATE INDEX idx_vision_tags_vision_id ON vision_tags(vision_id);
CREATE INDEX idx_vision_tags_tag_id ON vision_tags(tag_id);
CREATE INDEX idx_audio_tags_audio_chunk_id ON audio_tags(audio_chunk_id);
CREATE INDEX idx_audio_tags_tag_id ON audio_tags(tag_id);
CREATE TABLE speakers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT,
    metadata JSON
, hallucination BOOLEAN DEFAULT FALSE, centroid FLOAT[512], embedding_count INTEGER DEFAULT 0);
CREATE TABLE speaker_embeddings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    embedding FLOAT[512] NOT NULL
    check(
      typeof(embedding) == 'blob'
      and vec_length(embedding) == 512
    ),
    speaker_id INTEGER REFERENCES speakers(id)
);
CREATE TABLE "audio_transcriptions" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    audio_chunk_id INTEGER NOT NULL,
    offset_index INTEGER NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    transcription TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    is_input_device BOOLEAN NOT NULL DEFAULT TRUE,
    speaker_id INTEGER,
    transcription_engine TEXT NOT NULL DEFAULT 'Whisper', start_time REAL, end_time REAL, text_length INTEGER, sync_id TEXT, synced_at DATETIME, redacted_at       INTEGER,
    FOREIGN KEY (audio_chunk_id) REFERENCES audio_chunks(id)
);
CREATE INDEX idx_audio_transcriptions_audio_chunk_id_timestamp ON audio_transcriptions(audio_chunk_id, timestamp);
CREATE INDEX idx_audio_transcriptions_audio_chunk_id ON audio_transcriptions(audio_chunk_id);
CREATE INDEX idx_audio_transcriptions_timestamp ON audio_transcriptions(timestamp);
CREATE INDEX idx_audio_transcriptions_transcription ON audio_transcriptions(transcription);
CREATE INDEX idx_audio_transcriptions_length ON audio_transcriptions (text_length);
CREATE TABLE ui_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    session_id TEXT,
    relative_ms INTEGER NOT NULL DEFAULT 0,
    event_type TEXT NOT NULL,  -- click, move, scroll, key, text, app_switch, window_focus, clipboard
    -- Position
    x INTEGER,
    y INTEGER,
    delta_x INTEGER,
    delta_y INTEGER,
    -- Mouse/key
    button INTEGER,
    click_count INTEGER,
    key_code INTEGER,
    modifiers INTEGER,
    -- Text content
    text_content TEXT,
    text_length INTEGER,
    -- App context
    app_name TEXT,
    app_pid INTEGER,
    window_title TEXT,
    browser_url TEXT,
    -- Element context (from accessibility APIs)
    element_role TEXT,
    element_name TEXT,
    element_value TEXT,
    element_description TEXT,
    element_automation_id TEXT,
    element_bounds TEXT,  -- JSON: {"x":0,"y":0,"width":100,"height":50}
    -- Frame correlation
    frame_id INTEGER,
    -- Sync columns
    sync_id TEXT,
    machine_id TEXT,
    synced_at DATETIME
, redacted_at       INTEGER, element_ancestors TEXT);
CREATE INDEX idx_ui_events_timestamp ON ui_events(timestamp);
CREATE INDEX idx_ui_events_event_type ON ui_events(event_type);
CREATE INDEX idx_ui_events_app_name ON ui_events(app_name);
CREATE INDEX idx_ui_events_session_id ON ui_events(session_id);
CREATE INDEX idx_ui_events_frame_id ON ui_events(frame_id);
CREATE INDEX idx_ui_events_sync_id ON ui_events(sync_id);
CREATE INDEX idx_ui_events_synced_at ON ui_events(synced_at);
CREATE INDEX idx_ui_events_unsynced ON ui_events(synced_at) WHERE synced_at IS NULL;
CREATE VIRTUAL TABLE ui_events_fts USING fts5(
    text_content,
    app_name,
    window_title,
    element_name,
    content='ui_events',
    content_rowid='id',
    tokenize='unicode61'
);
CREATE TABLE 'ui_events_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'ui_events_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'ui_events_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'ui_events_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TRIGGER ui_events_ad AFTER DELETE ON ui_events BEGIN
    INSERT INTO ui_events_fts(ui_events_fts, rowid, text_content, app_name, window_title, element_name)
    VALUES('delete', OLD.id, OLD.text_content, OLD.app_name, OLD.window_title, OLD.element_name);
END;
CREATE TRIGGER ui_events_au AFTER UPDATE ON ui_events BEGIN
    INSERT INTO ui_events_fts(ui_events_fts, rowid, text_content, app_name, window_title, element_name)
    VALUES('delete', OLD.id, OLD.text_content, OLD.app_name, OLD.window_title, OLD.element_name);
    INSERT INTO ui_events_fts(rowid, text_content, app_name, window_title, element_name)
    VALUES (NEW.id, NEW.text_content, NEW.app_name, NEW.window_title, NEW.element_name);
END;
CREATE UNIQUE INDEX idx_audio_transcription_chunk_text
ON audio_transcriptions(audio_chunk_id, transcription);
CREATE INDEX idx_video_chunks_device_name ON video_chunks(device_name);
CREATE INDEX idx_video_chunks_device_name_id ON video_chunks(device_name, id DESC);
CREATE TABLE pipe_executions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipe_name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    trigger_type TEXT NOT NULL DEFAULT 'manual',
    pid INTEGER,
    model TEXT,
    provider TEXT,
    started_at TEXT,
    finished_at TEXT,
    stdout TEXT DEFAULT '',
    stderr TEXT DEFAULT '',
    exit_code INTEGER,
    error_type TEXT,
    error_message TEXT,
    duration_ms INTEGER
, session_path TEXT, trigger_event TEXT, trigger_key TEXT, conversation_id TEXT);
CREATE INDEX idx_pipe_exec_name_status ON pipe_executions(pipe_name, status);
CREATE INDEX idx_pipe_exec_running ON pipe_executions(status) WHERE status = 'running';
CREATE INDEX idx_pipe_exec_name_time ON pipe_executions(pipe_name, id DESC);
CREATE TABLE pipe_scheduler_state (
    pipe_name TEXT PRIMARY KEY,
    last_run_at TEXT,
    last_success_at TEXT,
    consecutive_failures INTEGER DEFAULT 0
);
CREATE TABLE "frames" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    video_chunk_id INTEGER DEFAULT NULL,
    offset_index INTEGER NOT NULL DEFAULT 0,
    timestamp TIMESTAMP NOT NULL,
    name TEXT,
    app_name TEXT DEFAULT NULL,
    window_name TEXT DEFAULT NULL,
    focused BOOLEAN DEFAULT NULL,
    browser_url TEXT DEFAULT NULL,
    device_name TEXT NOT NULL DEFAULT '',
    sync_id TEXT,
    machine_id TEXT,
    synced_at DATETIME,
    -- New event-driven capture columns
    snapshot_path TEXT DEFAULT NULL,
    accessibility_text TEXT DEFAULT NULL,
    accessibility_tree_json TEXT DEFAULT NULL,
    content_hash INTEGER DEFAULT NULL,
    simhash INTEGER DEFAULT NULL,
    capture_trigger TEXT DEFAULT NULL,
    text_source TEXT DEFAULT NULL, cloud_blob_id TEXT DEFAULT NULL, full_text TEXT DEFAULT NULL, elements_ref_frame_id INTEGER DEFAULT NULL, accessibility_redacted_at   INTEGER, image_redacted_at       INTEGER, document_path TEXT DEFAULT NULL, full_text_redacted_at INTEGER, text_json TEXT DEFAULT NULL, accessibility_tree_redacted_at INTEGER, window_name_redacted_at INTEGER, browser_url_redacted_at INTEGER, text_json_redacted_at INTEGER, semantic_run_id INTEGER
    REFERENCES semantic_runs(id) ON DELETE SET NULL,
    FOREIGN KEY (video_chunk_id) REFERENCES video_chunks(id)
);
CREATE INDEX idx_frames_timestamp ON frames(timestamp);
CREATE INDEX idx_frames_video_chunk_id ON frames(video_chunk_id);
CREATE INDEX idx_frames_timestamp_device
  ON frames(timestamp, device_name);
CREATE INDEX idx_frames_snapshot_path
  ON frames(snapshot_path) WHERE snapshot_path IS NOT NULL;
CREATE TRIGGER ui_events_ai AFTER INSERT ON ui_events BEGIN
    INSERT OR IGNORE INTO ui_events_fts(rowid, text_content, app_name, window_title, element_name)
    VALUES (NEW.id, NEW.text_content, NEW.app_name, NEW.window_title, NEW.element_name);
END;
CREATE TABLE meetings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_start TEXT NOT NULL,
    meeting_end TEXT,
    meeting_app TEXT NOT NULL,
    title TEXT,
    attendees TEXT,
    detection_source TEXT NOT NULL DEFAULT 'app',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
, note TEXT, end_reason TEXT, calendar_event_id TEXT);
CREATE INDEX idx_meetings_start ON meetings(meeting_start);
CREATE INDEX idx_meetings_end ON meetings(meeting_end);
CREATE TABLE elements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    frame_id INTEGER NOT NULL,
    source TEXT NOT NULL,             -- 'ocr' | 'accessibility'
    role TEXT NOT NULL,               -- OCR: 'page','block','paragraph','line','word'
                                      -- AX: 'AXButton','AXTextField','AXStaticText', etc.
    text TEXT,                        -- element text content (NULL for container nodes)
    parent_id INTEGER,               -- self-referential FK for tree hierarchy (NULL = root)
    depth INTEGER NOT NULL DEFAULT 0, -- tree depth (0 = root)
    left_bound REAL,                 -- normalized 0-1 bounding box
    top_bound REAL,
    width_bound REAL,
    height_bound REAL,
    confidence REAL,                 -- OCR confidence (0-100), NULL for AX
    sort_order INTEGER NOT NULL DEFAULT 0, properties TEXT, on_screen INTEGER, redacted_at INTEGER, -- sibling order within parent
    FOREIGN KEY (frame_id) REFERENCES frames(id),
    FOREIGN KEY (parent_id) REFERENCES elements(id)
);
CREATE INDEX idx_elements_frame_id ON elements(frame_id);
CREATE INDEX idx_elements_parent_id ON elements(parent_id);
CREATE INDEX idx_elements_source ON elements(source);
CREATE INDEX idx_elements_frame_source ON elements(frame_id, source);
CREATE VIRTUAL TABLE elements_fts USING fts5(
    text,
    role,
    frame_id UNINDEXED,
    content='elements',
    content_rowid='id',
    tokenize='unicode61'
);
CREATE TABLE 'elements_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'elements_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'elements_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'elements_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TRIGGER elements_ai AFTER INSERT ON elements
WHEN NEW.text IS NOT NULL AND NEW.text != ''
BEGIN
    INSERT INTO elements_fts(rowid, text, role, frame_id)
    VALUES (NEW.id, NEW.text, NEW.role, NEW.frame_id);
END;
CREATE TRIGGER elements_ad AFTER DELETE ON elements
WHEN OLD.text IS NOT NULL AND OLD.text != ''
BEGIN
    INSERT INTO elements_fts(elements_fts, rowid, text, role, frame_id)
    VALUES ('delete', OLD.id, OLD.text, OLD.role, OLD.frame_id);
END;
CREATE TRIGGER elements_au AFTER UPDATE ON elements
WHEN OLD.text IS NOT NULL AND OLD.text != ''
BEGIN
    INSERT INTO elements_fts(elements_fts, rowid, text, role, frame_id)
    VALUES ('delete', OLD.id, OLD.text, OLD.role, OLD.frame_id);
    INSERT INTO elements_fts(rowid, text, role, frame_id)
    VALUES (NEW.id, NEW.text, NEW.role, NEW.frame_id);
END;
CREATE VIRTUAL TABLE audio_transcriptions_fts USING fts5(
    transcription,
    device,
    speaker_id,
    content='audio_transcriptions',
    content_rowid='id',
    tokenize='unicode61'
);
CREATE TABLE 'audio_transcriptions_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'audio_transcriptions_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'audio_transcriptions_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'audio_transcriptions_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TRIGGER audio_transcriptions_ai AFTER INSERT ON audio_transcriptions
WHEN NEW.transcription IS NOT NULL AND NEW.transcription != ''
BEGIN
    INSERT INTO audio_transcriptions_fts(rowid, transcription, device, speaker_id)
    VALUES (NEW.id, NEW.transcription, COALESCE(NEW.device, ''), NEW.speaker_id);
END;
CREATE TRIGGER audio_transcriptions_delete AFTER DELETE ON audio_transcriptions
WHEN OLD.transcription IS NOT NULL AND OLD.transcription != ''
BEGIN
    INSERT INTO audio_transcriptions_fts(audio_transcriptions_fts, rowid, transcription, device, speaker_id)
    VALUES ('delete', OLD.id, OLD.transcription, COALESCE(OLD.device, ''), OLD.speaker_id);
END;
CREATE TRIGGER audio_transcriptions_update AFTER UPDATE ON audio_transcriptions
WHEN OLD.transcription IS NOT NULL AND OLD.transcription != ''
BEGIN
    INSERT INTO audio_transcriptions_fts(audio_transcriptions_fts, rowid, transcription, device, speaker_id)
    VALUES ('delete', OLD.id, OLD.transcription, COALESCE(OLD.device, ''), OLD.speaker_id);
    INSERT INTO audio_transcriptions_fts(rowid, transcription, device, speaker_id)
    VALUES (NEW.id, COALESCE(NEW.transcription, ''), COALESCE(NEW.device, ''), NEW.speaker_id);
END;
CREATE INDEX idx_video_chunks_cloud_blob_id
    ON video_chunks(cloud_blob_id) WHERE cloud_blob_id IS NULL;
CREATE INDEX idx_frames_cloud_blob_id
    ON frames(cloud_blob_id) WHERE cloud_blob_id IS NULL AND snapshot_path IS NOT NULL;
CREATE TABLE memories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'user',
    source_context TEXT,
    tags TEXT DEFAULT '[]',
    importance REAL DEFAULT 0.5,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
, frame_id INTEGER REFERENCES frames(id) ON DELETE SET NULL, sync_uuid TEXT, sync_modified_by TEXT);
CREATE INDEX idx_memories_created_at ON memories(created_at);
CREATE INDEX idx_memories_importance ON memories(importance DESC);
CREATE INDEX idx_memories_source ON memories(source);
CREATE VIRTUAL TABLE memories_fts USING fts5(
    content,
    tags,
    content='memories',
    content_rowid='id',
    tokenize='unicode61'
);
CREATE TABLE 'memories_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'memories_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'memories_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'memories_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TRIGGER memories_ai AFTER INSERT ON memories
WHEN NEW.content IS NOT NULL AND NEW.content != ''
BEGIN
    INSERT INTO memories_fts(rowid, content, tags)
    VALUES (NEW.id, NEW.content, COALESCE(NEW.tags, ''));
END;
CREATE TRIGGER memories_ad AFTER DELETE ON memories
WHEN OLD.content IS NOT NULL AND OLD.content != ''
BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, content, tags)
    VALUES ('delete', OLD.id, OLD.content, COALESCE(OLD.tags, ''));
END;
CREATE TRIGGER memories_au AFTER UPDATE ON memories
WHEN OLD.content IS NOT NULL AND OLD.content != ''
BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, content, tags)
    VALUES ('delete', OLD.id, OLD.content, COALESCE(OLD.tags, ''));
    INSERT INTO memories_fts(rowid, content, tags)
    VALUES (NEW.id, COALESCE(NEW.content, ''), COALESCE(NEW.tags, ''));
END;
CREATE INDEX idx_memories_frame_id ON memories(frame_id);
CREATE INDEX idx_elements_source_role_text
    ON elements(source, role, frame_id)
    WHERE text IS NOT NULL;
CREATE INDEX idx_frames_sync_id ON frames(sync_id) WHERE sync_id IS NOT NULL;
CREATE INDEX idx_audio_transcriptions_sync_id ON audio_transcriptions(sync_id) WHERE sync_id IS NOT NULL;
CREATE INDEX idx_elements_frame_source_role ON elements(frame_id, source, role) WHERE text IS NOT NULL;
CREATE INDEX idx_frames_elements_ref_frame_id
    ON frames(elements_ref_frame_id)
    WHERE elements_ref_frame_id IS NOT NULL;
CREATE VIRTUAL TABLE frames_fts USING fts5(
    full_text,
    app_name,
    window_name,
    browser_url,
    content='frames',
    content_rowid='id',
    tokenize='unicode61'
);
CREATE TABLE 'frames_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'frames_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'frames_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'frames_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TRIGGER frames_ai AFTER INSERT ON frames
WHEN NEW.full_text IS NOT NULL AND NEW.full_text != ''
BEGIN
    INSERT INTO frames_fts(rowid, full_text, app_name, window_name, browser_url)
    VALUES (
        NEW.id,
        NEW.full_text,
        COALESCE(NEW.app_name, ''),
        COALESCE(NEW.window_name, ''),
        COALESCE(NEW.browser_url, '')
    );
END;
CREATE TRIGGER frames_ad AFTER DELETE ON frames
WHEN OLD.full_text IS NOT NULL AND OLD.full_text != ''
BEGIN
    INSERT INTO frames_fts(frames_fts, rowid, full_text, app_name, window_name, browser_url)
    VALUES (
        'delete',
        OLD.id,
        OLD.full_text,
        COALESCE(OLD.app_name, ''),
        COALESCE(OLD.window_name, ''),
        COALESCE(OLD.browser_url, '')
    );
END;
CREATE TRIGGER frames_au AFTER UPDATE OF full_text, app_name, window_name, browser_url ON frames
BEGIN
    -- remove old tokens if the old row was indexed
    INSERT INTO frames_fts(frames_fts, rowid, full_text, app_name, window_name, browser_url)
    SELECT
        'delete',
        OLD.id,
        OLD.full_text,
        COALESCE(OLD.app_name, ''),
        COALESCE(OLD.window_name, ''),
        COALESCE(OLD.browser_url, '')
    WHERE OLD.full_text IS NOT NULL AND OLD.full_text != '';

    -- insert new tokens if the new row should be indexed
    INSERT INTO frames_fts(rowid, full_text, app_name, window_name, browser_url)
    SELECT
        NEW.id,
        NEW.full_text,
        COALESCE(NEW.app_name, ''),
        COALESCE(NEW.window_name, ''),
        COALESCE(NEW.browser_url, '')
    WHERE NEW.full_text IS NOT NULL AND NEW.full_text != '';
END;
CREATE INDEX idx_speaker_embeddings_speaker_id
  ON speaker_embeddings(speaker_id);
CREATE INDEX idx_audio_transcriptions_speaker_id_timestamp
  ON audio_transcriptions(speaker_id, timestamp DESC);
CREATE TABLE sqlite_stat1(tbl,idx,stat);
CREATE TABLE sqlite_stat4(tbl,idx,neq,nlt,ndlt,sample);
CREATE INDEX idx_audio_transcriptions_redacted_at ON audio_transcriptions(redacted_at);
CREATE INDEX idx_ui_events_redacted_at            ON ui_events(redacted_at);
CREATE INDEX idx_ui_events_type_redacted_at
  ON ui_events(event_type, redacted_at);
CREATE INDEX idx_elements_on_screen
    ON elements(frame_id, on_screen)
    WHERE on_screen IS NOT NULL;
CREATE INDEX idx_frames_image_redaction_pending
    ON frames(id DESC)
    WHERE image_redacted_at IS NULL;
CREATE UNIQUE INDEX idx_memories_sync_uuid
    ON memories(sync_uuid) WHERE sync_uuid IS NOT NULL;
CREATE TABLE meeting_transcript_segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT,
    item_id TEXT NOT NULL,
    device_name TEXT NOT NULL DEFAULT '',
    device_type TEXT NOT NULL DEFAULT '',
    speaker_name TEXT,
    transcript TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), speaker_id INTEGER, stream_id TEXT NOT NULL DEFAULT 'legacy', session_speaker_id TEXT,
    FOREIGN KEY (meeting_id) REFERENCES meetings(id) ON DELETE CASCADE,
    UNIQUE(meeting_id, provider, item_id, device_name, device_type)
);
CREATE INDEX idx_meeting_transcript_segments_meeting_time
    ON meeting_transcript_segments(meeting_id, captured_at);
CREATE TABLE diarization_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    audio_chunk_id INTEGER NOT NULL REFERENCES audio_chunks(id) ON DELETE CASCADE,
    mode TEXT NOT NULL CHECK (mode IN ('live', 'background')),
    provider TEXT NOT NULL,
    model TEXT,
    status TEXT NOT NULL DEFAULT 'completed',
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    metadata JSON
);
CREATE TABLE diarization_segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    diarization_run_id INTEGER NOT NULL REFERENCES diarization_runs(id) ON DELETE CASCADE,
    audio_chunk_id INTEGER NOT NULL REFERENCES audio_chunks(id) ON DELETE CASCADE,
    provider_speaker_label TEXT NOT NULL,
    speaker_id INTEGER REFERENCES speakers(id) ON DELETE SET NULL,
    source TEXT NOT NULL DEFAULT 'provider',
    start_time REAL NOT NULL,
    end_time REAL NOT NULL,
    confidence REAL,
    overlap BOOLEAN NOT NULL DEFAULT FALSE,
    metadata JSON
);
CREATE TABLE speaker_identity_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    speaker_id INTEGER NOT NULL REFERENCES speakers(id) ON DELETE CASCADE,
    diarization_segment_id INTEGER REFERENCES diarization_segments(id) ON DELETE SET NULL,
    audio_chunk_id INTEGER REFERENCES audio_chunks(id) ON DELETE CASCADE,
    start_time REAL,
    end_time REAL,
    source TEXT NOT NULL,
    confidence REAL,
    approved BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    metadata JSON
);
CREATE INDEX idx_diarization_runs_audio_chunk
    ON diarization_runs(audio_chunk_id, mode, created_at DESC);
CREATE INDEX idx_diarization_segments_run
    ON diarization_segments(diarization_run_id);
CREATE INDEX idx_diarization_segments_chunk_time
    ON diarization_segments(audio_chunk_id, start_time, end_time);
CREATE INDEX idx_diarization_segments_speaker
    ON diarization_segments(speaker_id, audio_chunk_id);
CREATE INDEX idx_speaker_identity_evidence_speaker
    ON speaker_identity_evidence(speaker_id, created_at DESC);
CREATE INDEX idx_audio_chunks_pending_timestamp
    ON audio_chunks(timestamp)
    WHERE transcription_status = 'pending';
CREATE INDEX idx_audio_chunks_status
    ON audio_chunks(transcription_status);
CREATE TABLE outputs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    source_type TEXT NOT NULL DEFAULT 'pipe',
    title TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'text',
    original_path TEXT,
    output_path TEXT NOT NULL,
    size_bytes INTEGER NOT NULL DEFAULT 0,
    preview TEXT,
    metadata TEXT DEFAULT '{}',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
, saf_kind TEXT, artifact_id TEXT, saf_version INTEGER);
CREATE INDEX idx_outputs_source ON outputs(source);
CREATE INDEX idx_outputs_source_type ON outputs(source_type);
CREATE INDEX idx_outputs_created_at ON outputs(created_at DESC);
CREATE UNIQUE INDEX idx_outputs_output_path ON outputs(output_path);
CREATE UNIQUE INDEX idx_meetings_single_open
    ON meetings((1))
    WHERE meeting_end IS NULL;
CREATE INDEX idx_meeting_transcript_segments_speaker
    ON meeting_transcript_segments(speaker_id);
CREATE INDEX idx_elements_redacted_at ON elements(redacted_at);
CREATE INDEX idx_speakers_hallucination_name
  ON speakers(hallucination, name COLLATE NOCASE);
CREATE INDEX idx_tags_name_nocase
  ON tags(name COLLATE NOCASE);
CREATE INDEX idx_frames_app_name_timestamp
    ON frames(app_name, timestamp);
CREATE TABLE output_search_index (
    output_id INTEGER PRIMARY KEY REFERENCES outputs(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    bytes_indexed INTEGER NOT NULL DEFAULT 0,
    indexed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE VIRTUAL TABLE output_search_fts USING fts5(
    title,
    body,
    tokenize='unicode61'
);
CREATE TABLE 'output_search_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'output_search_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'output_search_fts_content'(id INTEGER PRIMARY KEY, c0, c1);
CREATE TABLE 'output_search_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'output_search_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE INDEX idx_frames_snapshot_pending
    ON frames(device_name, timestamp)
    WHERE snapshot_path IS NOT NULL;
CREATE TABLE display_layout (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- why this row exists: 'startup' | 'change'
    reason TEXT NOT NULL DEFAULT 'change',
    -- canonical JSON array, displays sorted by id:
    -- [{"id":1,"stable_id":"...","name":"Built-in","x":0,"y":0,
    --   "width":1512,"height":982,"is_primary":true}, ...]
    layout_json TEXT NOT NULL
);
CREATE INDEX idx_display_layout_timestamp
    ON display_layout(timestamp);
CREATE INDEX idx_frames_accessibility_redacted_at
    ON frames(accessibility_redacted_at)
    WHERE accessibility_redacted_at IS NULL;
CREATE INDEX idx_frames_full_text_redacted_at
    ON frames(full_text_redacted_at)
    WHERE full_text_redacted_at IS NULL;
CREATE INDEX idx_frames_accessibility_tree_redacted_at
    ON frames(accessibility_tree_redacted_at)
    WHERE accessibility_tree_redacted_at IS NULL;
CREATE INDEX idx_frames_window_name_redacted_at
    ON frames(window_name_redacted_at)
    WHERE window_name_redacted_at IS NULL;
CREATE INDEX idx_frames_browser_url_redacted_at
    ON frames(browser_url_redacted_at)
    WHERE browser_url_redacted_at IS NULL;
CREATE INDEX idx_frames_text_json_redacted_at
    ON frames(text_json_redacted_at)
    WHERE text_json_redacted_at IS NULL;
CREATE INDEX idx_meeting_transcript_segments_captured_at_julianday
    ON meeting_transcript_segments(julianday(captured_at));
CREATE TABLE semantic_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    input_fingerprint BLOB NOT NULL UNIQUE
        CHECK (length(input_fingerprint) = 32),
    parser_id TEXT NOT NULL,
    parser_version TEXT NOT NULL,
    schema_version INTEGER NOT NULL CHECK (schema_version > 0),
    app_platform TEXT NOT NULL
        CHECK (app_platform IN ('macos', 'windows', 'linux')),
    app_id TEXT,
    app_executable TEXT,
    app_version TEXT,
    input_content_hash BLOB NOT NULL
        CHECK (length(input_content_hash) = 8),
    status TEXT NOT NULL
        CHECK (status IN ('handled', 'empty')),
    item_count INTEGER NOT NULL DEFAULT 0 CHECK (item_count >= 0),
    text_bytes INTEGER NOT NULL DEFAULT 0 CHECK (text_bytes >= 0),
    parse_duration_us INTEGER NOT NULL DEFAULT 0 CHECK (parse_duration_us >= 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_semantic_runs_parser
    ON semantic_runs(parser_id, parser_version, schema_version);
CREATE TABLE semantic_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_fingerprint BLOB NOT NULL CHECK (length(entity_fingerprint) = 32),
    version_fingerprint BLOB NOT NULL UNIQUE
        CHECK (length(version_fingerprint) = 32),
    kind TEXT NOT NULL
        CHECK (kind IN ('conversation', 'message', 'document', 'task', 'calendar_event', 'page')),
    item_key TEXT NOT NULL,
    identity_quality TEXT NOT NULL
        CHECK (identity_quality IN ('stable', 'derived', 'ephemeral')),
    title TEXT,
    body TEXT,
    actor TEXT,
    occurred_at TEXT,
    timestamp_precision TEXT,
    status TEXT,
    metadata_json TEXT NOT NULL DEFAULT '{}'
        CHECK (json_valid(metadata_json)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_semantic_items_entity
    ON semantic_items(entity_fingerprint);
CREATE INDEX idx_semantic_items_kind_time
    ON semantic_items(kind, occurred_at);
CREATE TABLE semantic_run_items (
    run_id INTEGER NOT NULL,
    local_id TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    parent_local_id TEXT,
    sort_order INTEGER NOT NULL CHECK (sort_order >= 0),
    source_node_ids BLOB NOT NULL DEFAULT X'',
    PRIMARY KEY (run_id, local_id),
    UNIQUE (run_id, sort_order),
    FOREIGN KEY (run_id) REFERENCES semantic_runs(id) ON DELETE CASCADE,
    FOREIGN KEY (item_id) REFERENCES semantic_items(id) ON DELETE RESTRICT,
    FOREIGN KEY (run_id, parent_local_id)
        REFERENCES semantic_run_items(run_id, local_id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX idx_semantic_run_items_item
    ON semantic_run_items(item_id);
CREATE VIRTUAL TABLE semantic_items_fts USING fts5(
    title,
    body,
    actor,
    status,
    metadata_json,
    content='semantic_items',
    content_rowid='id',
    tokenize='unicode61'
);
CREATE TABLE 'semantic_items_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'semantic_items_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'semantic_items_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'semantic_items_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TRIGGER semantic_items_ai AFTER INSERT ON semantic_items BEGIN
    INSERT INTO semantic_items_fts(rowid, title, body, actor, status, metadata_json)
    VALUES (new.id, new.title, new.body, new.actor, new.status, new.metadata_json);
END;
CREATE TRIGGER semantic_items_ad AFTER DELETE ON semantic_items BEGIN
    INSERT INTO semantic_items_fts(
        semantic_items_fts, rowid, title, body, actor, status, metadata_json
    ) VALUES (
        'delete', old.id, old.title, old.body, old.actor, old.status, old.metadata_json
    );
END;
CREATE TRIGGER semantic_items_au AFTER UPDATE ON semantic_items BEGIN
    INSERT INTO semantic_items_fts(
        semantic_items_fts, rowid, title, body, actor, status, metadata_json
    ) VALUES (
        'delete', old.id, old.title, old.body, old.actor, old.status, old.metadata_json
    );
    INSERT INTO semantic_items_fts(rowid, title, body, actor, status, metadata_json)
    VALUES (new.id, new.title, new.body, new.actor, new.status, new.metadata_json);
END;
CREATE INDEX idx_frames_semantic_run_id
    ON frames(semantic_run_id)
    WHERE semantic_run_id IS NOT NULL;
CREATE TABLE semantic_actors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL
        CHECK (length(trim(name)) BETWEEN 1 AND 256),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_semantic_actors_name
    ON semantic_actors(name COLLATE NOCASE);
CREATE TABLE semantic_actor_aliases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id INTEGER NOT NULL,
    source_key TEXT NOT NULL CHECK (length(source_key) BETWEEN 1 AND 1024),
    source_label TEXT NOT NULL CHECK (length(source_label) BETWEEN 1 AND 256),
    normalized_label TEXT NOT NULL
        CHECK (length(normalized_label) BETWEEN 1 AND 512),
    observed_label TEXT NOT NULL
        CHECK (length(trim(observed_label)) BETWEEN 1 AND 256),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (source_key, normalized_label),
    FOREIGN KEY (actor_id) REFERENCES semantic_actors(id) ON DELETE CASCADE
);
CREATE INDEX idx_semantic_actor_aliases_actor
    ON semantic_actor_aliases(actor_id);
CREATE INDEX idx_semantic_actor_aliases_observed_label
    ON semantic_actor_aliases(observed_label COLLATE NOCASE);
CREATE TABLE semantic_item_actors (
    item_id INTEGER PRIMARY KEY,
    actor_id INTEGER NOT NULL,
    observed_alias_id INTEGER,
    assignment_source TEXT NOT NULL DEFAULT 'heuristic'
        CHECK (assignment_source IN ('heuristic', 'reconciled')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    FOREIGN KEY (item_id) REFERENCES semantic_items(id) ON DELETE CASCADE,
    FOREIGN KEY (actor_id) REFERENCES semantic_actors(id) ON DELETE RESTRICT,
    FOREIGN KEY (observed_alias_id)
        REFERENCES semantic_actor_aliases(id) ON DELETE SET NULL
);
CREATE INDEX idx_semantic_item_actors_actor
    ON semantic_item_actors(actor_id, item_id);
CREATE TABLE pipe_event_runs (
    pipe_name  TEXT NOT NULL,
    event_name TEXT NOT NULL,
    event_key  TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (pipe_name, event_name, event_key)
);
CREATE INDEX idx_pipe_event_runs_claimed_at ON pipe_event_runs(claimed_at);
CREATE INDEX idx_outputs_source_type_original_path_id
ON outputs(source_type, original_path, id DESC)
WHERE original_path IS NOT NULL;
CREATE TABLE feedback (
    id TEXT PRIMARY KEY,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    target_version TEXT NOT NULL DEFAULT '',
    producer_ref TEXT,
    actor_id TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    snapshot TEXT,
    context TEXT NOT NULL DEFAULT '{}',
    device_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (target_kind, target_id, target_version, actor_id, device_id)
);
CREATE INDEX idx_feedback_target
    ON feedback (target_kind, target_id, target_version);
CREATE INDEX idx_feedback_producer_updated
    ON feedback (producer_ref, updated_at DESC);
CREATE INDEX idx_feedback_rating_updated
    ON feedback (rating, updated_at DESC);
CREATE UNIQUE INDEX idx_meetings_calendar_event_id
    ON meetings (calendar_event_id)
    WHERE calendar_event_id IS NOT NULL AND calendar_event_id != '';
CREATE TABLE activity_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_key TEXT NOT NULL UNIQUE,
    parent_task_id INTEGER REFERENCES activity_tasks(id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('category', 'task', 'unobserved')),
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 256),
    app_name TEXT,
    confidence REAL NOT NULL CHECK (confidence BETWEEN 0.0 AND 1.0),
    producer TEXT NOT NULL,
    user_locked INTEGER NOT NULL DEFAULT 0 CHECK (user_locked IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_activity_tasks_parent ON activity_tasks(parent_task_id, id);
CREATE INDEX idx_activity_tasks_app ON activity_tasks(app_name, id);
CREATE TABLE activity_intervals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    interval_key TEXT NOT NULL UNIQUE,
    task_id INTEGER NOT NULL REFERENCES activity_tasks(id) ON DELETE CASCADE,
    start_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('provisional', 'final')),
    confidence REAL NOT NULL CHECK (confidence BETWEEN 0.0 AND 1.0),
    producer TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (julianday(end_at) > julianday(start_at))
);
CREATE INDEX idx_activity_intervals_range
    ON activity_intervals(start_at, end_at, id);
CREATE INDEX idx_activity_intervals_task
    ON activity_intervals(task_id, start_at, id);
CREATE TABLE activity_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action_key TEXT NOT NULL UNIQUE,
    interval_id INTEGER NOT NULL REFERENCES activity_intervals(id) ON DELETE CASCADE,
    occurred_at TEXT NOT NULL,
    action_type TEXT NOT NULL,
    summary TEXT NOT NULL CHECK (length(summary) BETWEEN 1 AND 512),
    app_name TEXT,
    confidence REAL NOT NULL CHECK (confidence BETWEEN 0.0 AND 1.0),
    source_type TEXT NOT NULL CHECK (source_type IN ('frame', 'ui_event', 'audio')),
    source_id INTEGER NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_activity_actions_interval
    ON activity_actions(interval_id, occurred_at, id);
CREATE INDEX idx_activity_actions_source
    ON activity_actions(source_type, source_id);
CREATE TABLE activity_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    interval_id INTEGER NOT NULL REFERENCES activity_intervals(id) ON DELETE CASCADE,
    action_id INTEGER REFERENCES activity_actions(id) ON DELETE CASCADE,
    source_type TEXT NOT NULL CHECK (source_type IN ('frame', 'ui_event', 'audio')),
    source_id INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    UNIQUE(interval_id, source_type, source_id)
);
CREATE INDEX idx_activity_evidence_interval
    ON activity_evidence(interval_id, occurred_at, id);
CREATE INDEX idx_activity_evidence_source
    ON activity_evidence(source_type, source_id);
CREATE TABLE activity_ledger_state (
    producer TEXT PRIMARY KEY,
    last_reconciled_at TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TRIGGER activity_frames_ad AFTER DELETE ON frames BEGIN
    DELETE FROM activity_actions
      WHERE source_type = 'frame' AND source_id = OLD.id;
    DELETE FROM activity_evidence
      WHERE source_type = 'frame' AND source_id = OLD.id;
END;
CREATE TRIGGER activity_ui_events_ad AFTER DELETE ON ui_events BEGIN
    DELETE FROM activity_actions
      WHERE source_type = 'ui_event' AND source_id = OLD.id;
    DELETE FROM activity_evidence
      WHERE source_type = 'ui_event' AND source_id = OLD.id;
END;
CREATE TRIGGER activity_audio_ad AFTER DELETE ON audio_transcriptions BEGIN
    DELETE FROM activity_actions
      WHERE source_type = 'audio' AND source_id = OLD.id;
    DELETE FROM activity_evidence
      WHERE source_type = 'audio' AND source_id = OLD.id;
END;
CREATE TRIGGER activity_evidence_ad AFTER DELETE ON activity_evidence BEGIN
    DELETE FROM activity_intervals
      WHERE id = OLD.interval_id
        AND NOT EXISTS (
            SELECT 1 FROM activity_evidence
            WHERE interval_id = OLD.interval_id
        );
END;
CREATE TRIGGER activity_intervals_ad AFTER DELETE ON activity_intervals BEGIN
    DELETE FROM activity_tasks
      WHERE id = OLD.task_id
        AND user_locked = 0
        AND NOT EXISTS (
            SELECT 1 FROM activity_intervals WHERE task_id = OLD.task_id
        )
        AND NOT EXISTS (
            SELECT 1 FROM activity_tasks WHERE parent_task_id = OLD.task_id
        );
END;
CREATE TRIGGER activity_tasks_ad AFTER DELETE ON activity_tasks
WHEN OLD.parent_task_id IS NOT NULL BEGIN
    DELETE FROM activity_tasks
      WHERE id = OLD.parent_task_id
        AND user_locked = 0
        AND NOT EXISTS (
            SELECT 1 FROM activity_intervals
            WHERE task_id = OLD.parent_task_id
        )
        AND NOT EXISTS (
            SELECT 1 FROM activity_tasks
            WHERE parent_task_id = OLD.parent_task_id
        );
END;
CREATE INDEX idx_activity_intervals_producer_range
    ON activity_intervals(producer, start_at, end_at, id);
CREATE INDEX idx_meeting_transcript_segments_session_speaker
    ON meeting_transcript_segments(meeting_id, session_speaker_id, captured_at);
