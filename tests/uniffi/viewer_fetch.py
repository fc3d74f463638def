"""The HTTP side of the Kotlin viewer check (SyncNativeTest.kt): the JDK has no JSON parser,
so this asks the server what a viewer app would ask and writes the answers as plain files.

  viewer_fetch.py init DEVICE_ID OUT       OUT/envelope.json, OUT/keyring.json (POST /init)
  viewer_fetch.py text DEVICE_ID OUT       the first text blob: OUT/text.bin, OUT/text.ctx
  viewer_fetch.py blob DEVICE_ID OUT ID    blob ID: OUT/ID.bin, OUT/ID.ctx

A .ctx file is one line: blob_id blob_type device_id time_start_ms time_end_ms.
Environment: SYNC_SERVER_URL, SYNC_TOKEN.
"""

import json
import os
import sys
import urllib.request
from datetime import datetime

SERVER = os.environ["SYNC_SERVER_URL"]


def api(device_id, path, body):
    req = urllib.request.Request(
        f"{SERVER}/api/sync{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {os.environ['SYNC_TOKEN']}", "X-Device-Id": device_id, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def ms(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def save(blob, out, name):
    url = blob["download_url"]
    with urllib.request.urlopen(url if url.startswith("http") else SERVER + url) as r:
        data = r.read()
    with open(os.path.join(out, f"{name}.bin"), "wb") as f:
        f.write(data)
    with open(os.path.join(out, f"{name}.ctx"), "w") as f:
        f.write(f"{blob['blob_id']} {blob['blob_type']} {blob['device_id']} {ms(blob['time_start'])} {ms(blob['time_end'])}\n")


def main():
    mode, device_id, out = sys.argv[1:4]
    if mode == "init":
        init = api(device_id, "/init", {"device_id": device_id, "device_name": "Kotlin viewer", "device_os": "linux"})
        with open(os.path.join(out, "envelope.json"), "w") as f:
            json.dump(init["envelope"], f)
        with open(os.path.join(out, "keyring.json"), "w") as f:
            json.dump(init["keyring"], f)
    elif mode == "text":
        everything = {"start": "2000-01-01T00:00:00.000Z", "end": "2100-01-01T00:00:00.000Z"}
        save(api(device_id, "/download", {"time_range": everything, "blob_types": ["text"], "limit": 1})["blobs"][0], out, "text")
    elif mode == "blob":
        blob_id = sys.argv[4]
        save(api(device_id, "/download", {"blob_ids": [blob_id]})["blobs"][0], out, blob_id)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
