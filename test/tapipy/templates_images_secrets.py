"""The seed docs' template, image and secret examples, run with tapipy 1.9.0.

Usage:
    python templates_images_secrets.py BASE_URL USERNAME PASSWORD ADMIN_USERNAME ADMIN_PASSWORD

The calls are the documented ones, with base_url and credentials changed. Where
tapipy 1.9 cannot make the documented call, the script shows how it fails and
makes the call tapipy offers instead:
- NewPod in tapipy's spec has no secret_map or template_overrides: tapipy drops
  them, so the pod has none (raw REST carries them; see test/rest/secret-map.test.ts);
- save_pod_as_template_tag names its path parameter pod_id_net, not pod_id;
- the derived pod is get_derived_pod, not get_pod_derived;
- the secrets endpoints are not in tapipy's spec at all.

Each step prints `ok <step>`; on failure it prints the reason and exits 1.
"""

import sys
import traceback

from tapipy.tapis import Tapis
from tapipy import errors


def ok(step):
    print(f"ok {step}", flush=True)


def expect(error_class, call, what):
    try:
        answer = call()
    except error_class as e:
        return e
    raise AssertionError(f"{what}: expected {error_class.__name__}, but the call succeeded with {answer!r}")


def run(base_url, username, password, admin_username, admin_password, created):
    t = Tapis(base_url=base_url, username=username, password=password)
    t.get_tokens()
    admin = Tapis(base_url=base_url, username=admin_username, password=admin_password)
    admin.get_tokens()

    # Check access: the authenticator's get_profile.
    profile = t.authenticator.get_profile(username=username)
    assert profile.username == username, f"get_profile answered {profile!r}"
    ok("authenticator.get_profile")

    # Templates
    templates = t.pods.list_templates()
    assert any(tpl.template_id == "neo4j" for tpl in templates), f"list_templates lacks neo4j: {templates!r}"
    ok("list_templates")

    mongo = t.pods.add_template(
        template_id='mongo',
        description="TACC's MongoDB template",
        metatags=['mongo', 'database', 'TACC', 'http']
    )
    assert mongo.template_id == "mongo" and mongo.metatags == ['mongo', 'database', 'TACC', 'http'], f"add_template answered {mongo!r}"
    ok("add_template")

    tag = t.pods.add_template_tag(
        template_id='mongo',
        pod_definition={"image": "mongo:7", "networking": {"default": {"protocol": "tcp", "port": 27017}}},
        commit_message="MongoDB 7",
        tag="7",
    )
    assert tag.tag == "7" and tag.tag_timestamp.startswith("7@"), f"add_template_tag answered {tag!r}"
    tags = t.pods.list_template_tags(template_id='mongo')
    assert [x.tag_timestamp for x in tags] == [tag.tag_timestamp], f"list_template_tags answered {tags!r}"
    ok("add_template_tag and list_template_tags")

    # "To create a pod from a specific template tag and timestamp"
    pod = t.pods.create_pod(
        pod_id='mypod',
        template=f'mongo:{tag.tag_timestamp}',
        time_to_stop_default=-1
    )
    created.append((t, 'mypod'))
    assert pod.image == "mongo:7" and pod.time_to_stop_default == -1, f"create_pod answered {pod!r}"
    ok("create_pod from template:tag@timestamp")

    # tapipy's NewPod has no secret_map or template_overrides: it drops them.
    dropped = t.pods.create_pod(
        pod_id='overridden',
        template='neo4j',
        template_overrides={"resources": {"cpu_limit": 1000}},
        secret_map={"DB_PASS": "${secret:my_db_password}"},
    )
    created.append((t, 'overridden'))
    assert not vars(dropped.secret_map) and dropped.template_overrides is None, \
        f"tapipy 1.9 was expected to drop secret_map and template_overrides, yet the pod has {dropped.secret_map!r} and {dropped.template_overrides!r}"
    assert dropped.resources.cpu_limit == 2000, f"the override reached the service: {dropped.resources!r}"
    ok("tapipy drops secret_map and template_overrides")

    # The seed calls save_pod_as_template_tag with pod_id; tapipy's parameter is pod_id_net.
    expect(errors.InvalidInputError, lambda: t.pods.save_pod_as_template_tag(
        pod_id='mypod', template_id='mytemplate', tag='v1', commit_message='Saved from running pod config'), "save with pod_id")
    saved = t.pods.save_pod_as_template_tag(
        pod_id_net='mypod',
        template_id='mytemplate',
        tag='v1',
        commit_message='Saved from running pod config'
    )
    assert saved.template_id == "mytemplate" and saved.tag == "v1" and saved.pod_definition.image == "mongo:7", f"save answered {saved!r}"
    ok("save_pod_as_template_tag")

    # The seed's get_pod_derived is get_derived_pod in tapipy.
    assert not hasattr(t.pods, "get_pod_derived"), "tapipy grew get_pod_derived"
    derived = t.pods.get_derived_pod(pod_id='mypod')
    assert derived.image == "mongo:7", f"get_derived_pod answered {derived!r}"
    ok("get_derived_pod")

    everything = t.pods.list_templates_and_tags(full=False)
    assert "mytemplate" in str(everything) and "mongo" in str(everything), f"list_templates_and_tags answered {everything!r}"
    ok("list_templates_and_tags")

    permissions = t.pods.set_template_permission(template_id='mongo', user='bob', level='READ')
    assert f"{username}:ADMIN" in permissions.permissions and "bob:READ" in permissions.permissions, f"set_template_permission answered {permissions!r}"
    assert "bob:READ" in t.pods.get_template_permissions(template_id='mongo').permissions
    t.pods.delete_template_permission(template_id='mongo', user='bob')
    ok("template permissions")

    updated = t.pods.update_template(template_id='mongo', description="TACC's MongoDB template, v7")
    assert updated.description == "TACC's MongoDB template, v7", f"update_template answered {updated!r}"
    ok("update_template")

    # Images: the allowlist, kept by service administrators.
    expect(errors.BaseTapyException, lambda: t.pods.create_pod(pod_id='mlpod', image='ollama/ollama:latest'), "ollama before it is allowed")
    expect(errors.BaseTapyException, lambda: t.pods.add_image(image='ollama/ollama', tenants=['*']), "add_image by a user")
    image = admin.pods.add_image(image='ollama/ollama', tenants=['*'], description='Ollama')
    assert image.image == "ollama/ollama" and image.added_by == admin_username, f"add_image answered {image!r}"
    assert any(i.image == "ollama/ollama" for i in t.pods.get_images())
    assert t.pods.get_image(image_id='ollama/ollama').description == "Ollama"
    ok("get_images, add_image, get_image")

    ml = t.pods.create_pod(
        pod_id='mlpod',
        image='ollama/ollama:latest',
        description='Ollama with GPU',
        resources={
            "cpu_request": 1000,
            "cpu_limit": 4000,
            "mem_request": 2048,
            "mem_limit": 8192,
            "gpus": 1
        },
        time_to_stop_default=-1
    )
    created.append((t, 'mlpod'))
    assert ml.image == "ollama/ollama:latest" and ml.resources.gpus == 1, f"create_pod answered {ml!r}"
    ok("create_pod with an allowed image")

    bulk = admin.pods.add_images(request_body=[{"image": "ghcr.io/lab/tool"}, {"image": "ollama/ollama"}], skip_duplicates=True)
    assert [i.image for i in bulk] == ["ghcr.io/lab/tool"], f"add_images answered {bulk!r}"
    admin.pods.delete_image(image_id='ghcr.io/lab/tool')
    expect(errors.NotFoundError, lambda: admin.pods.get_image(image_id='ghcr.io/lab/tool'), "get_image after delete_image")
    ok("add_images and delete_image")

    # Secrets are not in tapipy 1.9's spec.
    assert not hasattr(t.pods, "create_secret") and not hasattr(t.pods, "get_secret_value"), "tapipy grew secrets"
    ok("tapipy has no secrets calls")

    for client, pod_id in list(created):
        client.pods.delete_pod(pod_id=pod_id)
        created.remove((client, pod_id))
    t.pods.delete_template(template_id='mytemplate')
    t.pods.delete_template(template_id='mongo')
    expect(errors.NotFoundError, lambda: t.pods.get_template(template_id='mongo'), "get_template after delete_template")
    ok("delete_template")


def main():
    if len(sys.argv) != 6:
        print(f"usage: {sys.argv[0]} BASE_URL USERNAME PASSWORD ADMIN_USERNAME ADMIN_PASSWORD", file=sys.stderr)
        sys.exit(2)
    created = []
    try:
        run(*sys.argv[1:], created)
    except AssertionError as e:
        fail(f"assertion failed: {e}")
    except errors.BaseTapyException as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        fail(f"tapipy raised {type(e).__name__} (HTTP {status}): {e.message}")
    except Exception as e:
        fail(f"unexpected {type(e).__name__}: {e}")
    finally:
        for client, pod_id in created:
            try:
                client.pods.delete_pod(pod_id=pod_id)
            except Exception:
                pass
    print("templates, images and secrets passed", flush=True)


def fail(message):
    print(f"FAIL {message}", flush=True)
    traceback.print_exc(file=sys.stdout)
    raise SystemExit(1)


if __name__ == "__main__":
    main()
