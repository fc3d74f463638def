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
, device_name TEXT NOT NULL DEFAULT '', sync_id TEXT, machine_id TEXT, synced_at DATETIME, fps REAL NOT NULL DEFAULT 0.5);
CREATE TABLE sqlite_sequence(name,seq);
CREATE TABLE frames (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    video_chunk_id INTEGER NOT NULL,
    offset_index INTEGER NOT NULL,
    timestamp TIMESTAMP NOT NULL, name TEXT, sync_id TEXT, machine_id TEXT, synced_at DATETIME, device_name TEXT NOT NULL DEFAULT '', browser_url TEXT DEFAULT NULL, app_name TEXT DEFAULT NULL, window_name TEXT DEFAULT NULL, focused BOOLEAN DEFAULT NULL,
    FOREIGN KEY (video_chunk_id) REFERENCES video_chunks(id)
);
CREATE TABLE audio_chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_path TEXT NOT NULL
, timestamp TIMESTAMP, sync_id TEXT, machine_id TEXT, synced_at DATETIME);
CREATE INDEX idx_frames_video_chunk_id ON frames(video_chunk_id);
CREATE INDEX idx_frames_timestamp ON frames(timestamp);
CREATE INDEX idx_frames_video_chunk_id_timestamp ON frames(video_chunk_id, timestamp);
CREATE INDEX idx_audio_chunks_timestamp ON audio_chunks(timestamp);
CREATE TABLE chunked_text_index (
    text_id INTEGER PRIMARY KEY AUTOINCREMENT,
    text TEXT NOT NULL UNIQUE
);
CREATE TABLE chunked_text_entries (
    text_id INTEGER NOT NULL,
    frame_id INTEGER,
    audio_chunk_id INTEGER,
    timestamp DATETIME NOT NULL,
    engine TEXT NOT NULL,
    chunking_engine TEXT NOT NULL,
    source TEXT NOT NULL,
    FOREIGN KEY (text_id) REFERENCES chunked_text_index(text_id),
    FOREIGN KEY (frame_id) REFERENCES frames(id),
    FOREIGN KEY (audio_chunk_id) REFERENCES audio_chunks(id)
);
CREATE TABLE friend_wearable_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    memory_source TEXT NOT NULL,
    chunk_id_range TEXT NOT NULL,
    timestamp_range TEXT NOT NULL,
    friend_user_id TEXT NOT NULL,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
, filtered_text TEXT, structured_response TEXT, response_id TEXT, response_created_at DATETIME, is_successful BOOLEAN NOT NULL DEFAULT TRUE);
CREATE INDEX idx_friend_wearable_requests_memory_source ON friend_wearable_requests(memory_source);
CREATE INDEX idx_friend_wearable_requests_friend_user_id ON friend_wearable_requests(friend_user_id);
CREATE TABLE "ocr_text" (
    frame_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_json TEXT,
    app_name TEXT NOT NULL DEFAULT '',
    ocr_engine TEXT NOT NULL DEFAULT 'unknown'
, window_name TEXT, focused BOOLEAN DEFAULT FALSE, text_length INTEGER, sync_id TEXT, synced_at DATETIME);
CREATE UNIQUE INDEX idx_chunked_text_index_text ON chunked_text_index(text);
CREATE VIRTUAL TABLE chunked_text_index_fts USING fts5(text_id UNINDEXED, text);
CREATE TABLE 'chunked_text_index_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'chunked_text_index_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'chunked_text_index_fts_content'(id INTEGER PRIMARY KEY, c0, c1);
CREATE TABLE 'chunked_text_index_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'chunked_text_index_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
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
CREATE INDEX idx_frames_timestamp_offset_index ON frames(timestamp, offset_index);
CREATE INDEX idx_ocr_text_frame_id ON ocr_text(frame_id);
CREATE INDEX idx_ocr_text_frame_app_window ON ocr_text(frame_id, app_name, window_name);
CREATE TABLE ui_monitoring (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    text_output TEXT NOT NULL,
    timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    app TEXT NOT NULL,
    window TEXT NOT NULL,
    initial_traversal_at DATETIME
, text_length INTEGER);
CREATE INDEX idx_ui_monitoring_timestamp ON ui_monitoring(timestamp);
CREATE INDEX idx_ui_monitoring_app ON ui_monitoring(app);
CREATE INDEX idx_ui_monitoring_window ON ui_monitoring(window);
CREATE INDEX idx_ui_monitoring_text_output ON ui_monitoring(text_output);
CREATE TABLE ui_monitoring_tags (
    ui_monitoring_id INTEGER NOT NULL,
    tag_id INTEGER NOT NULL,
    PRIMARY KEY (ui_monitoring_id, tag_id),
    FOREIGN KEY (ui_monitoring_id) REFERENCES ui_monitoring(id) ON DELETE CASCADE,
    FOREIGN KEY (tag_id) REFERENCES tags(id) ON DELETE CASCADE
);
CREATE INDEX idx_ui_monitoring_tags_ui_id ON ui_monitoring_tags(ui_monitoring_id);
CREATE INDEX idx_ui_monitoring_tags_tag_id ON ui_monitoring_tags(tag_id);
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
CREATE VIRTUAL TABLE ocr_text_fts USING fts5(
    text,
    app_name,
    window_name,
    frame_id UNINDEXED,
    tokenize='unicode61'
);
CREATE TABLE 'ocr_text_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'ocr_text_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'ocr_text_fts_content'(id INTEGER PRIMARY KEY, c0, c1, c2, c3);
CREATE TABLE 'ocr_text_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'ocr_text_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE VIRTUAL TABLE ui_monitoring_fts USING fts5(
    text_output,
    app,
    window,
    ui_id UNINDEXED,
    tokenize='unicode61'
);
CREATE TABLE 'ui_monitoring_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'ui_monitoring_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'ui_monitoring_fts_content'(id INTEGER PRIMARY KEY, c0, c1, c2, c3);
CREATE TABLE 'ui_monitoring_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'ui_monitoring_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE INDEX idx_ui_monitoring_app_window ON ui_monitoring(app, window);
CREATE INDEX idx_ui_monitoring_timestamp_app ON ui_monitoring(timestamp, app);
CREATE TRIGGER ocr_text_update AFTER UPDATE ON ocr_text
WHEN NEW.text IS NOT NULL AND NEW.text != '' AND OLD.frame_id IS NOT NULL
BEGIN
    UPDATE ocr_text_fts 
    SET text = NEW.text, 
        app_name = COALESCE(NEW.app_name, ''), 
        window_name = COALESCE(NEW.window_name, '')
    WHERE frame_id = OLD.frame_id;
END;
CREATE TRIGGER ocr_text_delete AFTER DELETE ON ocr_text
BEGIN
    DELETE FROM ocr_text_fts 
    WHERE frame_id = OLD.frame_id;
END;
CREATE TRIGGER ui_monitoring_update AFTER UPDATE ON ui_monitoring
WHEN NEW.text_output IS NOT NULL AND NEW.text_output != '' AND OLD.id IS NOT NULL
BEGIN
    UPDATE ui_monitoring_fts 
    SET text_output = NEW.text_output,
        app = COALESCE(NEW.app, ''),
        window = COALESCE(NEW.window, '')
    WHERE ui_id = OLD.id;
END;
CREATE TRIGGER ui_monitoring_delete AFTER DELETE ON ui_monitoring
BEGIN
    DELETE FROM ui_monitoring_fts 
    WHERE ui_id = OLD.id;
END;
CREATE TABLE "audio_transcriptions" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    audio_chunk_id INTEGER NOT NULL,
    offset_index INTEGER NOT NULL,
    timestamp TIMESTAMP NOT NULL,
    transcription TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    is_input_device BOOLEAN NOT NULL DEFAULT TRUE,
    speaker_id INTEGER,
    transcription_engine TEXT NOT NULL DEFAULT 'Whisper', start_time REAL, end_time REAL, text_length INTEGER, sync_id TEXT, synced_at DATETIME,
    FOREIGN KEY (audio_chunk_id) REFERENCES audio_chunks(id)
);
CREATE INDEX idx_audio_transcriptions_audio_chunk_id_timestamp ON audio_transcriptions(audio_chunk_id, timestamp);
CREATE INDEX idx_audio_transcriptions_audio_chunk_id ON audio_transcriptions(audio_chunk_id);
CREATE INDEX idx_audio_transcriptions_timestamp ON audio_transcriptions(timestamp);
CREATE INDEX idx_audio_transcriptions_transcription ON audio_transcriptions(transcription);
CREATE VIRTUAL TABLE audio_transcriptions_fts USING fts5(
    transcription,
    device,
    audio_chunk_id UNINDEXED,
    speaker_id,
    start_time UNINDEXED,
    end_time UNINDEXED,
    tokenize='unicode61'
);
CREATE TABLE 'audio_transcriptions_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'audio_transcriptions_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'audio_transcriptions_fts_content'(id INTEGER PRIMARY KEY, c0, c1, c2, c3, c4, c5);
CREATE TABLE 'audio_transcriptions_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'audio_transcriptions_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TRIGGER audio_transcriptions_update AFTER UPDATE ON audio_transcriptions
WHEN NEW.transcription IS NOT NULL AND NEW.transcription != '' AND OLD.audio_chunk_id IS NOT NULL
BEGIN
    UPDATE audio_transcriptions_fts 
    SET transcription = NEW.transcription,
        device = COALESCE(NEW.device, ''),
        start_time = NEW.start_time,
        end_time = NEW.end_time
    WHERE audio_chunk_id = OLD.audio_chunk_id;
END;
CREATE TABLE ocr_text_embeddings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    frame_id INTEGER NOT NULL,
    embedding BLOB NOT NULL,  -- Store embeddings as BLOB since they're float arrays
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (frame_id) REFERENCES frames(id) ON DELETE CASCADE
);
CREATE INDEX idx_ocr_text_length ON ocr_text (text_length);
CREATE INDEX idx_audio_transcriptions_length ON audio_transcriptions (text_length);
CREATE INDEX idx_ui_monitoring_length ON ui_monitoring (text_length);
CREATE TABLE accessibility (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    app_name TEXT NOT NULL,
    window_name TEXT NOT NULL,
    text_content TEXT NOT NULL,
    browser_url TEXT,
    -- Sync columns
    sync_id TEXT,
    machine_id TEXT,
    synced_at DATETIME
);
CREATE INDEX idx_accessibility_timestamp ON accessibility(timestamp);
CREATE INDEX idx_accessibility_app_name ON accessibility(app_name);
CREATE INDEX idx_accessibility_window_name ON accessibility(window_name);
CREATE INDEX idx_accessibility_sync_id ON accessibility(sync_id);
CREATE INDEX idx_accessibility_synced_at ON accessibility(synced_at);
CREATE INDEX idx_accessibility_unsynced ON accessibility(synced_at) WHERE synced_at IS NULL;
CREATE VIRTUAL TABLE accessibility_fts USING fts5(
    text_content,
    app_name,
    window_name,
    content='accessibility',
    content_rowid='id',
    tokenize='unicode61'
);
CREATE TABLE 'accessibility_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'accessibility_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'accessibility_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'accessibility_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TRIGGER accessibility_ad AFTER DELETE ON accessibility BEGIN
    INSERT INTO accessibility_fts(accessibility_fts, rowid, text_content, app_name, window_name)
    VALUES('delete', OLD.id, OLD.text_content, OLD.app_name, OLD.window_name);
END;
CREATE TRIGGER accessibility_au AFTER UPDATE ON accessibility BEGIN
    INSERT INTO accessibility_fts(accessibility_fts, rowid, text_content, app_name, window_name)
    VALUES('delete', OLD.id, OLD.text_content, OLD.app_name, OLD.window_name);
    INSERT INTO accessibility_fts(rowid, text_content, app_name, window_name)
    VALUES (NEW.id, NEW.text_content, NEW.app_name, NEW.window_name);
END;
CREATE TABLE accessibility_tags (
    accessibility_id INTEGER NOT NULL,
    tag_id INTEGER NOT NULL,
    PRIMARY KEY (accessibility_id, tag_id),
    FOREIGN KEY (accessibility_id) REFERENCES accessibility(id) ON DELETE CASCADE,
    FOREIGN KEY (tag_id) REFERENCES tags(id) ON DELETE CASCADE
);
CREATE INDEX idx_accessibility_tags_accessibility_id ON accessibility_tags(accessibility_id);
CREATE INDEX idx_accessibility_tags_tag_id ON accessibility_tags(tag_id);
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
);
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
CREATE VIRTUAL TABLE frames_fts USING fts5(
    name,
    browser_url,
    app_name,
    window_name,
    focused,
    id UNINDEXED,
    tokenize='unicode61'
);
CREATE TABLE 'frames_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'frames_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE 'frames_fts_content'(id INTEGER PRIMARY KEY, c0, c1, c2, c3, c4, c5);
CREATE TABLE 'frames_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'frames_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TRIGGER frames_au AFTER UPDATE ON frames
WHEN (NEW.name IS NOT NULL AND NEW.name != '')
   OR (NEW.browser_url IS NOT NULL AND NEW.browser_url != '') 
   OR (NEW.app_name IS NOT NULL AND NEW.app_name != '')
   OR (NEW.window_name IS NOT NULL AND NEW.window_name != '')
   OR (NEW.focused IS NOT NULL)
BEGIN
    INSERT OR REPLACE INTO frames_fts(id, name, browser_url, app_name, window_name, focused)
    VALUES (
        NEW.id,
        COALESCE(NEW.name, ''),
        COALESCE(NEW.browser_url, ''),
        COALESCE(NEW.app_name, ''),
        COALESCE(NEW.window_name, ''),
        COALESCE(NEW.focused, 0)
    );
END;
CREATE TRIGGER frames_ad AFTER DELETE ON frames
BEGIN
    DELETE FROM frames_fts 
    WHERE id = OLD.id;
END;
CREATE INDEX idx_frames_app_name ON frames(app_name);
CREATE INDEX idx_frames_window_name ON frames(window_name);
CREATE INDEX idx_frames_app_window ON frames(app_name, window_name);
CREATE INDEX idx_frames_browser_url ON frames(browser_url);
CREATE INDEX idx_frames_focused ON frames(focused);
CREATE TRIGGER audio_transcriptions_delete AFTER DELETE ON audio_transcriptions
BEGIN
    DELETE FROM audio_transcriptions_fts
    WHERE audio_chunk_id = OLD.audio_chunk_id;
END;
CREATE UNIQUE INDEX idx_audio_transcription_chunk_text
ON audio_transcriptions(audio_chunk_id, transcription);
CREATE INDEX idx_video_chunks_device_name ON video_chunks(device_name);
CREATE INDEX idx_video_chunks_device_name_id ON video_chunks(device_name, id DESC);
CREATE TABLE fts_index_progress (
    table_name TEXT PRIMARY KEY,
    last_indexed_rowid INTEGER NOT NULL DEFAULT 0,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
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
);
CREATE INDEX idx_pipe_exec_name_status ON pipe_executions(pipe_name, status);
CREATE INDEX idx_pipe_exec_running ON pipe_executions(status) WHERE status = 'running';
CREATE INDEX idx_pipe_exec_name_time ON pipe_executions(pipe_name, id DESC);
CREATE TABLE pipe_scheduler_state (
    pipe_name TEXT PRIMARY KEY,
    last_run_at TEXT,
    last_success_at TEXT,
    consecutive_failures INTEGER DEFAULT 0
);
