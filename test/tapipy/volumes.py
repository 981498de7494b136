"""The Volumes and Snapshots examples of the seed docs, run with tapipy 1.9.0.

Usage:
    python volumes.py BASE_URL USERNAME PASSWORD

The calls are the documented ones; only base_url, username and password
differ, and the pod of the volume example names a template, which the docs
leave out. Each step prints `ok <step>`; on failure it prints the reason and
exits 1.
"""

import io
import os
import sys
import tempfile
import traceback
import zipfile

from tapipy.tapis import Tapis
from tapipy import errors


def ok(step):
    print(f"ok {step}", flush=True)


def zip_names(data):
    return sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())


def examples(base_url, username, password, local_file):
    t = Tapis(base_url=base_url, username=username, password=password)
    t.get_tokens()

    # Create a volume
    volume = t.pods.create_volume(
        volume_id='myvolume',
        description='My persistent volume',
        size_limit=1024
    )
    assert volume.volume_id == 'myvolume', f"create_volume returned {volume!r}"
    ok("create_volume")

    # Attach the volume to a pod on pod creation (can also update existing pods)
    pod = t.pods.create_pod(
        pod_id='mypod',
        template='neo4j',
        volume_mounts={
            "/mnt/data": {
                "type": "tapisvolume",
                "source_id": "myvolume",
            }
        }
    )
    assert pod.pod_id == 'mypod', f"create_pod returned {pod!r}"
    ok("create_pod with a tapisvolume mount")

    # List files in the volume
    files = t.pods.list_volume_files(volume_id='myvolume')
    print(files)
    assert files == [], f"a new volume lists {files!r}"
    ok("list_volume_files")

    # Upload a file to the volume
    with open(local_file, 'rb') as file:
        t.pods.upload_to_volume(
            volume_id='myvolume',
            path='/data/file.sql',
            file=file
        )
    files = t.pods.list_volume_files(volume_id='myvolume')
    assert sorted(f.path for f in files) == ['data', 'data/file.sql'], f"after upload_to_volume: {files!r}"
    ok("upload_to_volume")

    # Get contents of a file or directory (as zip, set zip=True)
    contents = t.pods.get_volume_contents(volume_id='myvolume', path='/data', zip=False)
    print(contents)
    assert zip_names(contents) == ['data/', 'data/file.sql'], f"the folder came as {contents[:40]!r}"
    with open(local_file, 'rb') as file:
        expected = file.read()
    assert t.pods.get_volume_contents(volume_id='myvolume', path='/data/file.sql') == expected
    assert zip_names(t.pods.get_volume_contents(volume_id='myvolume', path='/data', zip=True)) == ['data/', 'data/file.sql']
    ok("get_volume_contents")

    # Create a snapshot
    snapshot = t.pods.create_snapshot(
        snapshot_id='mysnapshot',
        source_volume_id='myvolume',
        source_volume_path='/data',
        description='Backup of my data'
    )
    assert snapshot.snapshot_id == 'mysnapshot', f"create_snapshot returned {snapshot!r}"
    ok("create_snapshot")

    # List files in the snapshot
    files = t.pods.list_snapshot_files(snapshot_id='mysnapshot')
    print(files)
    assert sorted(f.path for f in files) == ['data', 'data/file.sql'], f"list_snapshot_files: {files!r}"
    ok("list_snapshot_files")

    # Get contents of a file or directory
    contents = t.pods.get_snapshot_contents(snapshot_id='mysnapshot', path='/data')
    print(contents)
    assert zip_names(contents) == ['data/', 'data/file.sql'], f"the snapshot's folder came as {contents[:40]!r}"
    ok("get_snapshot_contents")

    # Example with multiple mount types
    t.pods.create_pod(
        pod_id='configpod',
        image='myapp:latest',
        volume_mounts={
            "/mnt/data": {
                "type": "tapisvolume",
                "source_id": "myvolume"
            },
            "/etc/app/config.ini": {
                "type": "ephemeral",
                "config_content": "[database]\nhost=localhost\nport=${pods:secrets:DB_PORT}"
            },
            "/mnt/backup": {
                "type": "tapissnapshot",
                "source_id": "mysnapshot",
                "sub_path": "/data"
            }
        }
    )
    mounts = t.pods.get_pod(pod_id='configpod').volume_mounts
    print(mounts)
    ok("create_pod with tapisvolume, ephemeral and tapissnapshot mounts")

    expect_not_found = False
    try:
        t.pods.get_volume_contents(volume_id='myvolume', path='/data/missing.sql')
    except errors.NotFoundError:
        expect_not_found = True
    assert expect_not_found, "a missing file is NotFound"
    ok("get_volume_contents of a missing file is NotFound")


def main():
    if len(sys.argv) < 4:
        print(f"usage: {sys.argv[0]} BASE_URL USERNAME PASSWORD", file=sys.stderr)
        sys.exit(2)
    base_url, username, password = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as folder:
        local_file = os.path.join(folder, "file.sql")
        with open(local_file, "w") as f:
            f.write("create table t (id int);\n")
        try:
            examples(base_url, username, password, local_file)
        except AssertionError as e:
            print(f"FAIL assertion failed: {e}", flush=True)
            traceback.print_exc(file=sys.stdout)
            sys.exit(1)
        except errors.BaseTapyException as e:
            status = getattr(getattr(e, "response", None), "status_code", None)
            print(f"FAIL tapipy raised {type(e).__name__} (HTTP {status}): {e.message}", flush=True)
            traceback.print_exc(file=sys.stdout)
            sys.exit(1)
    print("volumes passed", flush=True)


if __name__ == "__main__":
    main()
