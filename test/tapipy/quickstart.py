"""The Pods quickstart from the seed docs, run with tapipy 1.9.0.

Usage:
    python quickstart.py BASE_URL USERNAME PASSWORD [OTHER_USERNAME OTHER_PASSWORD]

or set PODS_BASE_URL, PODS_USERNAME, PODS_PASSWORD, PODS_OTHER_USERNAME,
PODS_OTHER_PASSWORD. The calls are the documented ones, only base_url,
username and password differ. The other user (a second login) must have no
permission on the first user's pods; it checks that get_pod answers 403.

Each step prints `ok <step>`. On failure it prints the reason and the last
HTTP exchanges, and exits 1. Set TAPIPY_TRACE=1 to print every exchange.
"""

import os
import sys
import time
import traceback

import requests
from tapipy.tapis import Tapis
from tapipy import errors

POLL_SECONDS = 20
POD = "docpod"
PRIVATE_POD = "docpodprivate"

# --- HTTP recorder: every request tapipy sends goes through Session.send ---

exchanges = []
trace = os.environ.get("TAPIPY_TRACE") == "1"
_send = requests.Session.send


def _short(data, limit=600):
    if data is None:
        return ""
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    data = str(data)
    return data if len(data) <= limit else data[:limit] + f"... ({len(data)} chars)"


def _recording_send(self, request, **kwargs):
    entry = {"request": f"{request.method} {request.url}", "request_body": _short(request.body)}
    exchanges.append(entry)
    del exchanges[:-12]
    try:
        response = _send(self, request, **kwargs)
    except Exception as e:  # network failure
        entry["response"] = f"(no response: {e})"
        raise
    entry["response"] = f"{response.status_code} Content-Type: {response.headers.get('content-type')}"
    entry["response_body"] = _short(response.content)
    if trace:
        print(format_exchange(entry), flush=True)
    return response


requests.Session.send = _recording_send


def format_exchange(entry):
    lines = [f"  > {entry['request']}"]
    if entry.get("request_body"):
        lines.append(f"    {entry['request_body']}")
    lines.append(f"  < {entry.get('response', '(pending)')}")
    if entry.get("response_body"):
        lines.append(f"    {entry['response_body']}")
    return "\n".join(lines)


# --- helpers ---


def ok(step):
    print(f"ok {step}", flush=True)


def wait_for(client, pod_id, status, condition=None, what=None):
    """Polls get_pod until status (and condition) hold, or fails after POLL_SECONDS."""
    deadline = time.time() + POLL_SECONDS
    pod = None
    while time.time() < deadline:
        pod = client.pods.get_pod(pod_id=pod_id)
        if pod.status == status and (condition is None or condition(pod)):
            return pod
        time.sleep(0.1)
    raise AssertionError(
        f"pod {pod_id} did not reach {status}{' with ' + what if what else ''} within {POLL_SECONDS}s; "
        f"last status={getattr(pod, 'status', None)!r} status_requested={getattr(pod, 'status_requested', None)!r}"
    )


def expect_error(error_class, call, what):
    try:
        answer = call()
    except error_class as e:
        return e
    except errors.BaseTapyException as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        raise AssertionError(f"{what}: expected {error_class.__name__}, got {type(e).__name__} (HTTP {status}): {e.message}")
    raise AssertionError(f"{what}: expected {error_class.__name__}, but the call succeeded with {answer!r}")


def arguments():
    argv = sys.argv[1:]
    names = ["PODS_BASE_URL", "PODS_USERNAME", "PODS_PASSWORD", "PODS_OTHER_USERNAME", "PODS_OTHER_PASSWORD"]
    values = [argv[i] if i < len(argv) else os.environ.get(name) for i, name in enumerate(names)]
    missing = [name for name, value in zip(names, values) if not value]
    if missing:
        print(f"usage: {sys.argv[0]} BASE_URL USERNAME PASSWORD OTHER_USERNAME OTHER_PASSWORD "
              f"(or set {', '.join(names)}); missing: {', '.join(missing)}", file=sys.stderr)
        sys.exit(2)
    return values


# --- the quickstart ---


def quickstart(base_url, username, password, other_username, other_password, created):
    t = Tapis(base_url=base_url, username=username, password=password)
    # Makes a request using the user/pass to set an access token.
    t.get_tokens()
    assert t.access_token and t.access_token.access_token, "get_tokens() set no access token"
    ok("get_tokens")

    response = t.pods.create_pod(pod_id=POD, template="neo4j", description="My example pod!")
    created.append((t, POD))
    assert response.pod_id == POD, f"create_pod returned pod_id={response.pod_id!r}"
    assert response.description == "My example pod!", f"create_pod returned description={response.description!r}"
    assert response.status_requested == "ON", f"create_pod returned status_requested={response.status_requested!r}"
    ok("create_pod")

    pod = wait_for(t, POD, "AVAILABLE")
    assert pod.pod_id == POD, f"get_pod returned pod_id={pod.pod_id!r}"
    ok("get_pod AVAILABLE")

    logs = t.pods.get_pod_logs(pod_id=POD)
    assert hasattr(logs, "logs"), f"get_pod_logs result has no 'logs': {logs!r}"
    assert hasattr(logs, "action_logs"), f"get_pod_logs result has no 'action_logs': {logs!r}"
    assert isinstance(logs.logs, str), f"logs is {type(logs.logs).__name__}, expected str"
    assert isinstance(logs.action_logs, list), f"action_logs is {type(logs.action_logs).__name__}, expected list"
    ok("get_pod_logs")

    updated = t.pods.update_pod(pod_id=POD, description="Updated description")
    assert updated.description == "Updated description", f"update_pod returned description={updated.description!r}"
    fetched = t.pods.get_pod(pod_id=POD)
    assert fetched.description == "Updated description", f"get_pod after update has description={fetched.description!r}"
    ok("update_pod")

    stopped = t.pods.stop_pod(pod_id=POD)
    assert stopped.status_requested == "OFF", f"stop_pod returned status_requested={stopped.status_requested!r}"
    wait_for(t, POD, "STOPPED")
    ok("stop_pod")

    started = t.pods.start_pod(pod_id=POD)
    assert started.status_requested == "ON", f"start_pod returned status_requested={started.status_requested!r}"
    running = wait_for(t, POD, "AVAILABLE")
    ok("start_pod")

    first_instance = running.start_instance_ts
    t.pods.restart_pod(pod_id=POD)
    wait_for(t, POD, "AVAILABLE", lambda p: p.start_instance_ts != first_instance, "a new start_instance_ts")
    ok("restart_pod")

    credentials = t.pods.get_pod_credentials(pod_id=POD)
    assert getattr(credentials, "user_username", None), f"get_pod_credentials has no user_username: {credentials!r}"
    assert getattr(credentials, "user_password", None), f"get_pod_credentials has no user_password: {credentials!r}"
    ok("get_pod_credentials")

    permissions = t.pods.get_pod_permissions(pod_id=POD)
    assert f"{username}:ADMIN" in permissions.permissions, f"get_pod_permissions: {permissions.permissions!r} lacks {username}:ADMIN"
    ok("get_pod_permissions")

    t.pods.set_pod_permission(pod_id=POD, user="superuser", level="ADMIN")
    permissions = t.pods.get_pod_permissions(pod_id=POD)
    assert "superuser:ADMIN" in permissions.permissions, f"after set_pod_permission: {permissions.permissions!r} lacks superuser:ADMIN"
    ok("set_pod_permission")

    t.pods.delete_pod_permission(pod_id=POD, user="superuser")
    permissions = t.pods.get_pod_permissions(pod_id=POD)
    assert not any(p.startswith("superuser:") for p in permissions.permissions), \
        f"after delete_pod_permission: {permissions.permissions!r} still has superuser"
    ok("delete_pod_permission")

    # A second user may not see a pod it has no permission on.
    t.pods.create_pod(pod_id=PRIVATE_POD, template="neo4j", description="Not for others")
    created.append((t, PRIVATE_POD))
    other = Tapis(base_url=base_url, username=other_username, password=other_password)
    other.get_tokens()
    expect_error(errors.ForbiddenError, lambda: other.pods.get_pod(pod_id=PRIVATE_POD),
                 f"get_pod of {username}'s pod as {other_username}")
    ok("get_pod by another user is forbidden")

    deleted = t.pods.delete_pod(pod_id=POD)
    created.remove((t, POD))
    # tapipy returns the whole envelope when result is "" (falsy).
    if isinstance(deleted, dict):
        assert deleted.get("status") == "success", f"delete_pod answered {deleted!r}"
    ok("delete_pod")

    expect_error(errors.NotFoundError, lambda: t.pods.get_pod(pod_id=POD), "get_pod after delete_pod")
    ok("get_pod after delete is NotFound")

    t.pods.delete_pod(pod_id=PRIVATE_POD)
    created.remove((t, PRIVATE_POD))
    expect_error(errors.NotFoundError, lambda: t.pods.get_pod(pod_id=PRIVATE_POD), f"get_pod of {PRIVATE_POD} after delete")
    ok("delete second pod")


def main():
    base_url, username, password, other_username, other_password = arguments()
    created = []
    try:
        quickstart(base_url, username, password, other_username, other_password, created)
    except AssertionError as e:
        fail(f"assertion failed: {e}")
    except errors.BaseTapyException as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        fail(f"tapipy raised {type(e).__name__} (HTTP {status}): {e.message}")
    except Exception as e:
        fail(f"unexpected {type(e).__name__}: {e}")
    finally:
        for client, pod_id in created:  # best-effort cleanup after a failure
            try:
                client.pods.delete_pod(pod_id=pod_id)
            except Exception:
                pass
    print("quickstart passed", flush=True)


def fail(message):
    print(f"FAIL {message}", flush=True)
    traceback.print_exc(file=sys.stdout)
    print("last HTTP exchanges:", flush=True)
    for entry in exchanges:
        print(format_exchange(entry), flush=True)
    sys.stdout.flush()
    raise SystemExit(1)


if __name__ == "__main__":
    main()
