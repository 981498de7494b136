"""Loads the service's own OpenAPI document into tapipy as a custom spec and calls get_pod through it.

usage: custom_spec.py <base_url> <spec_file> <username> <password> <pod_id>
"""
import sys

from tapipy.tapis import Tapis

base_url, spec_file, username, password, pod_id = sys.argv[1:6]
t = Tapis(
    base_url=base_url,
    username=username,
    password=password,
    custom_spec_dict={"pods": f"local: {spec_file}"},
    resource_set="local",
)
t.get_tokens()
pod = t.pods.get_pod(pod_id=pod_id)
assert pod.pod_id == pod_id, pod
print(f"custom spec get_pod: {pod.pod_id} {pod.status}")
