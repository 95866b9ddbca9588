"""PC504: a Fargate profile names a subnet that routes to an internet gateway (EKS refuses the profile)."""
from __future__ import annotations

from podcap.analysis import Analysis
from podcap.model.findings import Severity
from podcap.rules.base import REGISTRY, rule

DOCS_FARGATE_PROFILE = "https://docs.aws.amazon.com/eks/latest/userguide/fargate-profile.html"


@rule(
    "PC504",
    Severity.ERROR,
    "Fargate profile in a public subnet",
    description="""
EKS CreateFargateProfile accepts "only private subnets with no direct route to an Internet Gateway" for a
profile's subnets (EKS user guide, fargate-profile: "Only private subnets are supported for Pods that are
running on Fargate"), so a profile naming a subnet whose route table has a route to an internet gateway
fails to create, and none of its pods run. podcap sees the route where the input defines it: an
`AWS::EC2::Route` (CloudFormation, CDK) or an `aws_route` / `aws_route_table` route (Terraform) whose gateway
is an internet gateway, in the route table associated with the subnet. A subnet without an association uses
its VPC's main route table, which these inputs cannot give an internet route.
""",
    help_uri=DOCS_FARGATE_PROFILE,
    fix="Name private subnets in the profile (a route to a NAT gateway, not an internet gateway).",
)
def check(a: Analysis):
    r = REGISTRY["PC504"]
    for fp in a.plan.fargate_profiles:
        if not isinstance(fp.subnets, list):
            continue
        for sid in fp.subnets:
            s = a.plan.subnets.get(sid) if isinstance(sid, str) else None
            if s is None or s.internet_route is None:
                continue
            yield r.finding(
                fp.name,
                f"Fargate profile {fp.name} uses subnet {sid}, which is public: {s.internet_route}; EKS "
                "accepts only private subnets for Fargate, so the profile is not created",
                resource_type="fargate_profile",
                location=fp.location,
                data={"subnet": sid, "route": s.internet_route},
                source=a.plan.source,
            )
