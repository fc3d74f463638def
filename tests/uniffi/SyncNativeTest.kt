// Kotlin drives sync-native's uniffi bindings against a real sync-server on loopback.
// Run by tests/uniffi/test.sh (compiled with kotlinc against JNA and kotlinx-coroutines, run with
// java -Djna.library.path=<folder of libsync_native.so>). Same environment as the Python test:
// SYNC_SERVER_URL, SYNC_SERVER_DATA, SYNC_SERVER_BIN, SYNC_CLI_BIN, SYNC_FIXTURE,
// SYNC_EMPTY_FIXTURE, and SYNC_WORK (a scratch folder). Exits non-zero on the first failed check.

import java.io.File
import java.util.Collections
import java.util.UUID
import kotlin.system.exitProcess
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import uniffi.sync_native.*

const val PASSWORD = "violet harbor engine 1987 plum"
val SERVER: String = System.getenv("SYNC_SERVER_URL")
val SERVER_DATA: String = System.getenv("SYNC_SERVER_DATA")
val WORK = File(System.getenv("SYNC_WORK"))

var checks = 0

fun check(condition: Boolean, what: String) {
    checks++
    if (!condition) {
        System.err.println("FAILED: $what")
        exitProcess(1)
    }
}

fun sh(vararg args: String): String {
    val p = ProcessBuilder(*args).redirectErrorStream(true).start()
    val out = p.inputStream.bufferedReader().readText()
    check(p.waitFor() == 0, "command ${args.joinToString(" ")}: $out")
    return out
}

fun addUser(): Pair<String, String> {
    val email = "kt-${UUID.randomUUID().toString().take(10)}@example.com"
    val out = sh(System.getenv("SYNC_SERVER_BIN"), "user", "add", email, "--tier", "pro", "--data-dir", SERVER_DATA)
    return email to out.trim().lines().last().trim()
}

fun deviceDir(name: String, fixture: String = "SYNC_EMPTY_FIXTURE"): File {
    val dir = File(WORK, name)
    dir.deleteRecursively()
    File(System.getenv(fixture)).copyRecursively(dir)
    return dir
}

fun config(dir: File, token: String, name: String, intervalSecs: ULong? = null) = ManagerConfig(
    serverUrl = SERVER,
    token = token,
    dbPath = File(dir, "db.sqlite").path,
    dataDir = File(dir, "data").path,
    stateDir = File(dir, "sync").path,
    deviceName = name,
    frequency = if (intervalSecs == null) SyncFrequency.MANUAL else SyncFrequency.FIFTEEN_MINUTES,
    intervalOverrideSecs = intervalSecs,
    mediaSettleSecs = 0UL,
    requestRetries = 1U,
    retryBaseMs = 200UL,
    retryMaxMs = 1000UL,
)

class Recorder : SyncListener {
    val progress: MutableList<ProgressEvent> = Collections.synchronizedList(mutableListOf())
    val statuses: MutableList<SyncStatus> = Collections.synchronizedList(mutableListOf())
    override fun onProgress(event: ProgressEvent) { progress.add(event) }
    override fun onStatus(status: SyncStatus) { statuses.add(status) }
    override fun onWarning(message: String) {}
}

inline fun <reified E : Throwable> expect(what: String, block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        check(e is E, "$what: expected ${E::class.simpleName}, got $e")
        return e as E
    }
    check(false, "$what: no exception")
    throw IllegalStateException()
}

/** One `blob_id blob_type device_id time_start_ms time_end_ms` line of viewer_fetch.py. */
fun contextOf(file: File): BlobContextRecord {
    val (id, type, device, start, end) = file.readText().trim().split(" ")
    return BlobContextRecord(id, type, device, start.toLong(), end.toLong())
}

fun viewerSnapshot(token: String, deviceId: String, deviceDir: File) {
    val out = File(WORK, "viewer").apply { deleteRecursively(); mkdirs() }
    fun fetch(vararg args: String) {
        val p = ProcessBuilder("python3", "tests/uniffi/viewer_fetch.py", *args).redirectErrorStream(true)
        p.environment()["SYNC_TOKEN"] = token
        val proc = p.start()
        val text = proc.inputStream.bufferedReader().readText()
        check(proc.waitFor() == 0, "viewer_fetch ${args.joinToString(" ")}: $text")
    }
    fetch("init", deviceId, out.path)
    val keys = unlockEnvelope(File(out, "envelope.json").readText(), PASSWORD, File(out, "keyring.json").readText(), null)
    fetch("text", deviceId, out.path)
    val bundle = keys.openRecordsJson(File(out, "text.bin").readBytes(), contextOf(File(out, "text.ctx")))
    check(bundle.startsWith("{\"v\":2,"), "a records bundle v2")
    // The core writes the snapshot's fields in this order (docs/FORMAT.md 5.1).
    val snap = Regex("\"snapshot\":\\{\"blob_id\":\"([0-9a-f]{32})\",\"entry\":\"([^\"]+)\",\"file_name\":\"([^\"]+)\"\\}")
        .find(bundle)
    check(snap != null, "a frame with a snapshot in the bundle")
    val (packId, entry, fileName) = snap!!.destructured
    fetch("blob", deviceId, out.path, packId)
    val packBlob = File(out, "$packId.bin").readBytes()
    val packContext = contextOf(File(out, "$packId.ctx"))
    check(packContext.blobType == "frames", "the pack is a frames blob")
    val payload = keys.openBlob(packBlob, packContext)
    check(isMediaPack(payload), "the payload is a media pack")
    val entries = mediaPackEntries(payload)
    val listed = entries.firstOrNull { it.name == entry }
    check(listed != null && listed.contentType == "image/jpeg", "the entry is listed: $entries")
    val jpeg = mediaPackEntry(payload, entry)
    val original = deviceDir.walk().first { it.isFile && it.name == fileName }.readBytes()
    check(jpeg != null && jpeg.contentEquals(original), "the snapshot is the fixture's JPEG")
    check(jpeg!!.size.toULong() == listed!!.size, "its size is the index's")
    check(keys.openSnapshot(packBlob, packContext, entry)!!.contentEquals(original), "openSnapshot")
    check(mediaPackEntry(payload, "not-in-this-pack.jpg") == null, "no such entry")
    val cut = expect<SyncFfiException.Integrity>("a cut pack") { mediaPackEntries(payload.copyOf(payload.size - 1)) }
    check(cut.code == "truncated", "code truncated: ${cut.code}")
    val longer = expect<SyncFfiException.InvalidInput>("bytes after the pack") { mediaPackEntries(payload + byteArrayOf(1)) }
    check(longer.code == "malformed", "code malformed: ${longer.code}")
    keys.destroy()
}

fun main() = runBlocking {
    WORK.mkdirs()
    val (_, token) = addUser()

    // Device A: a new account, a push with progress events through the callback.
    val aDir = deviceDir("a", "SYNC_FIXTURE")
    // The fixture's rows name its files in the shared folder: this copy archives and restores
    // them, so they point at its own files.
    val fx = System.getenv("SYNC_FIXTURE").replace("'", "''")
    val own = aDir.path.replace("'", "''")
    sh(
        "sqlite3", File(aDir, "db.sqlite").path,
        "UPDATE video_chunks SET file_path = replace(file_path, '$fx', '$own'); " +
            "UPDATE audio_chunks SET file_path = replace(file_path, '$fx', '$own'); " +
            "UPDATE frames SET snapshot_path = replace(snapshot_path, '$fx', '$own');",
    )
    val a = SyncManager(config(aDir, token, "desktop A"))
    val recorder = Recorder()
    a.setListener(recorder)
    val created = a.init(PASSWORD)
    check(created.isNew, "a new account")
    check(created.recoveryPhrase!!.split(" ").size == 24, "24 words")
    val pushed = a.push()
    check(pushed.uploadedBlobs > 0UL && pushed.rows > 0UL, "push uploaded: $pushed")
    val uploads = recorder.progress.filter { it.stage == ProgressStage.UPLOADING }
    check(uploads.isNotEmpty() && uploads.last().done == uploads.last().total && uploads.last().isBytes, "upload progress")
    val status = a.status()
    check(status.unlocked && status.storageUsed!! > 0UL && status.deviceCount == 1U, "status: $status")

    // Device B: same password, same account.
    val b = SyncManager(config(deviceDir("b"), token, "phone B"))
    val joined = b.init(PASSWORD)
    check(!joined.isNew && joined.recoveryPhrase == null, "joined without a phrase")

    // Wrong password: a typed exception with the core's code.
    val c = SyncManager(config(deviceDir("c"), token, "tablet C"))
    val wrong = expect<SyncFfiException.WrongPassword>("wrong password") { c.init("not the password at all 42") }
    check(wrong.code == "wrong_password", "code wrong_password: ${wrong.code}")
    check(wrong.message!!.contains("wrong_password"), "message names the code")

    // Search (cloud) and pull (then local).
    val hits = b.search("budget review", null, null, 10U)
    check(hits.isNotEmpty() && hits.all { it.source == "cloud" }, "cloud hits: ${hits.size}")
    val pulled = b.pull(null, null)
    check(pulled.importedBlobs > 0UL && pulled.rowsInserted > 0UL && pulled.failures.isEmpty(), "pull: $pulled")
    val local = b.search("budget review", null, null, 10U)
    check(local.isNotEmpty() && local.all { it.source == "local" }, "local hits after pull")

    val devices = a.listDevices()
    check(devices.map { it.deviceName }.toSet() == setOf("desktop A", "phone B", "tablet C"), "devices: $devices")

    // Archive A's media (a dry run, then for real), verify the cloud copy, restore it all.
    val tomorrow = System.currentTimeMillis() + 86_400_000L
    val dry = a.archive(tomorrow, listOf(), true, false)
    check(dry.dryRun && dry.files > 0UL && dry.skipped.isEmpty(), "archive dry run: $dry")
    val archived = a.archive(tomorrow, listOf("screen", "audio"), false, false)
    check(archived.files == dry.files && archived.bytesFreed > 0UL, "archive: $archived")
    val verified = a.verify(true, null, null)
    check(verified.mismatches.isEmpty() && verified.read == verified.checked, "verify: $verified")
    val restored = a.restore(null, null, listOf(), true)
    check(restored.complete && restored.restored == archived.files && restored.bytes == archived.bytesFreed, "restore: $restored")
    // Its old text rows too: dropped once proven, written back by restore.
    val textDry = a.dropText(tomorrow, true)
    check(textDry.dryRun && textDry.rowsDropped > 0UL && textDry.kept.isEmpty(), "drop_text dry run: $textDry")
    val textDropped = a.dropText(tomorrow, false)
    check(!textDropped.dryRun && textDropped.rows == textDry.rows, "drop_text: $textDropped")
    val textBack = a.restore(null, null, listOf(), true)
    check(textBack.complete && textBack.text.rows == textDropped.rowsDropped, "restore of text: $textBack")

    // A viewer app: unlock from POST /init's envelope, open a text blob of the pushed 0.4.50
    // fixture (records bundle v2), then the media pack its first snapshot names, and read the
    // snapshot: byte for byte the fixture's JPEG.
    viewerSnapshot(token, a.status().deviceId!!, aDir)

    // Quota exceeded: a typed exception with the server's code.
    val (qEmail, qToken) = addUser()
    sh("sqlite3", File(SERVER_DATA, "metadata.sqlite3").path,
        "PRAGMA busy_timeout=10000; UPDATE users SET storage_used = 100000000000 - 1000 WHERE email = '$qEmail';")
    val q = SyncManager(config(deviceDir("q", "SYNC_FIXTURE"), qToken, "full"))
    q.init(PASSWORD)
    val full = expect<SyncFfiException.QuotaExceeded>("quota exceeded") { q.push() }
    check(full.code == "QUOTA_EXCEEDED", "code QUOTA_EXCEEDED: ${full.code}")
    q.lock()

    // The background service pushes rows written to A's database while it runs.
    a.setConfig(config(aDir, token, "desktop A", intervalSecs = 1UL))
    a.start()
    val words = "kotlin pangolin saxophone"
    sh("sqlite3", File(aDir, "db.sqlite").path,
        "PRAGMA busy_timeout=10000; INSERT INTO audio_transcriptions (audio_chunk_id, offset_index, timestamp, transcription, device, is_input_device) " +
            "SELECT audio_chunk_id, offset_index, timestamp, '$words', device, is_input_device FROM audio_transcriptions ORDER BY id DESC LIMIT 1;")
    val deadline = System.currentTimeMillis() + 60_000
    var found = 0
    while (found == 0 && System.currentTimeMillis() < deadline) {
        delay(250)
        found = b.search(words, null, null, 5U).size
    }
    check(found == 1, "the service pushed the new row")
    check(a.status().running, "running")
    check(recorder.statuses.any { it.state is SyncState.Syncing }, "a syncing status event")
    a.stop()
    check(!a.status().running, "stopped")

    // Viewer crypto: bad input is a typed error too.
    expect<SyncFfiException.InvalidInput>("bad envelope") { unlockEnvelope("{", PASSWORD, null, null) }
    check(searchTerms("Budget review, budget!") == listOf("budget", "review"), "terms")

    // Linking: a desktop (the CLI) links, this phone (Kotlin) joins with its code, no password,
    // then pulls with the keys it received.
    val lDir = deviceDir("l", "SYNC_FIXTURE")
    val cliEnv = mapOf(
        "SCREENPIPE_SYNC_SERVER" to SERVER,
        "SCREENPIPE_SYNC_TOKEN" to token,
        "SCREENPIPE_SYNC_DB" to File(lDir, "db.sqlite").path,
        "SCREENPIPE_SYNC_DATA_DIR" to File(lDir, "data").path,
        "SCREENPIPE_SYNC_STATE_DIR" to File(lDir, "sync").path,
        "SCREENPIPE_SYNC_PASSWORD" to PASSWORD,
        "SCREENPIPE_SYNC_DEVICE_NAME" to "cli L",
    )
    fun cli(vararg args: String): Process {
        val pb = ProcessBuilder(System.getenv("SYNC_CLI_BIN"), *args).redirectError(ProcessBuilder.Redirect.DISCARD)
        pb.environment().putAll(cliEnv)
        return pb.start()
    }
    check(cli("init").waitFor() == 0, "the CLI device unlocks")
    val link = cli("link", "--yes")
    val lines = link.inputStream.bufferedReader()
    var code: String? = null
    while (code == null) {
        val line = lines.readLine() ?: break
        if (line.startsWith("code: ")) code = line.removePrefix("code: ").trim()
    }
    check(code != null && code.split("-").size == 4, "link shows a code")
    val k = SyncManager(config(deviceDir("k"), token, "kotlin K"))
    val linked = k.join(code!!)
    check(linked.keyVersion == 1U && linked.exportedKeys.contains("spsync-exported-keys") && k.isUnlocked(), "joined: ${linked.deviceId}")
    lines.readText()
    check(link.waitFor() == 0, "the CLI sent the keys")
    val kPulled = k.pull(null, null)
    check(kPulled.importedBlobs > 0UL && kPulled.failures.isEmpty(), "the linked phone pulls: $kPulled")
    k.lock()
    val again = SyncManager(config(File(WORK, "k"), token, "kotlin K"))
    again.resume(linked.exportedKeys)
    check(again.isUnlocked(), "resume with the keys join returned")
    again.lock()

    a.lock()
    b.lock()
    println("kotlin: $checks checks passed")
}
