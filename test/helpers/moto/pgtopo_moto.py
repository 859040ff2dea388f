"""moto_server with the patches pgtopo's emulator apply needs (test support only, never the product).

    python pgtopo_moto.py -H 127.0.44.1 -p 4566      # the arguments of moto_server

Run it with the Python that runs moto_server (its shebang). moto 5.2 departs from AWS in a few places
that a Terraform apply followed by a second plan trips over: either the apply fails, or AWS's answer
differs from what was sent and the second plan is not empty although nothing changed. Each such gap
has one patch below, named for what it fixes; PATCHES lists them and the server prints their names at
start. A patch changes moto to behave as AWS does; it never makes moto accept what AWS rejects.
"""

import sys
from typing import Any, Callable

import moto

PATCHES: list[tuple[str, str, Callable[[], None]]] = []


def patch(name: str, why: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(fn: Callable[[], None]) -> Callable[[], None]:
        PATCHES.append((name, why, fn))
        return fn

    return register


@patch(
    "instance-termination-protection",
    "RunInstances ignores DisableApiTermination (AWS stores it; Terraform reads it back)",
)
def _instance_termination_protection() -> None:
    from moto.ec2.responses.instances import InstanceResponse

    original = InstanceResponse.run_instances

    def run_instances(self: Any) -> Any:
        result = original(self)
        if self._get_bool_param("DisableApiTermination", False):
            for instance in result.result.instances:
                instance.disable_api_termination = True
        return result

    InstanceResponse.run_instances = run_instances


@patch(
    "instance-interface-security-groups",
    "an instance launched with NetworkInterfaces.N.Groups lists no SecurityGroups (AWS lists the primary interface's)",
)
def _instance_interface_security_groups() -> None:
    from moto.ec2.models.instances import Instance

    original = Instance.prep_nics

    def prep_nics(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        primary = self.nics.get(0)
        if primary is not None and not self.security_groups:
            self.security_groups = list(primary._group_set)

    Instance.prep_nics = prep_nics


@patch(
    "instance-public-ip-flag",
    "an interface without a public IP answers an empty Association (AWS answers none; "
    "Terraform reads associate_public_ip_address as 'Association is present')",
)
def _instance_public_ip_flag() -> None:
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    original = NetworkInterface.association

    def association(self: Any) -> Any:
        return original.fget(self) if self.public_ip else None

    NetworkInterface.association = property(association)


@patch(
    "security-group-rule-description",
    "a rule that references a security group loses its Description in DescribeSecurityGroupRules",
)
def _security_group_rule_description() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: Any) -> Any:
        return self.ip_range.get("Description") or self.source_group.get("Description")

    SecurityGroupRule.description = property(description)


@patch(
    "launch-template-tags",
    "CreateLaunchTemplate copies the template's own tags (TagSpecifications of type launch-template) "
    "into the template data, where AWS keeps only the instance/volume tag specifications",
)
def _launch_template_tags() -> None:
    from moto.ec2.models.launch_templates import LaunchTemplateBackend

    original = LaunchTemplateBackend.create_launch_template

    def create_launch_template(
        self: Any, name: str, description: str, template_data: dict[str, Any], tag_spec: dict[str, Any]
    ) -> Any:
        specs = template_data.get("TagSpecifications")
        if specs:
            template_data = {
                **template_data,
                "TagSpecifications": [s for s in specs if s.get("ResourceType") != "launch-template"],
            }
        return original(self, name, description, template_data, tag_spec)

    LaunchTemplateBackend.create_launch_template = create_launch_template


@patch(
    "route53-private-zone",
    "CreateHostedZone with a VPC but no HostedZoneConfig.PrivateZone makes a public zone "
    "(AWS makes a private zone associated with the VPC; Terraform sends no PrivateZone)",
)
def _route53_private_zone() -> None:
    from moto.route53.responses import Route53

    original = Route53.create_hosted_zone

    def create_hosted_zone(self: Any) -> Any:
        if self._get_param("VPC.VPCId") and self._get_param("HostedZoneConfig.PrivateZone") is None:
            get_bool = self._get_bool_param

            def private(name: str, if_none: Any = None) -> Any:
                return True if name == "HostedZoneConfig.PrivateZone" else get_bool(name, if_none)

            self._get_bool_param = private
        return original(self)

    Route53.create_hosted_zone = create_hosted_zone


def apply_patches() -> None:
    for name, why, fn in PATCHES:
        fn()
        print(f"pgtopo-moto: patch {name}: {why}", file=sys.stderr, flush=True)


def main() -> None:
    if moto.__version__ != "5.2.1":
        # The patches wrap moto's internals as of 5.2.1: another version must be checked first.
        print(f"pgtopo-moto: moto {moto.__version__}, the patches are written for 5.2.1", file=sys.stderr)
        sys.exit(3)
    apply_patches()
    from moto.server import main as server_main

    server_main(sys.argv[1:])


if __name__ == "__main__":
    main()
