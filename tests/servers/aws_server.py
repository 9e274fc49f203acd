"""A local AWS API emulator for the drift tests: moto's server (PyPI
`moto[server]`) on 127.0.0.1 and a free port.

Prints one JSON line when ready: `{"endpoint": "http://127.0.0.1:PORT",
"region": "us-east-1"}`; with `--seed` it first creates, through the API
with boto3, the resources of the drift scenario and adds their ids under
`"seed"`. With `--instances N` it creates N EC2 instances more (the drift
benchmark). The server stops when standard input closes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys

REGION = "us-east-1"
# moto accepts any key; these only have to be the ones the client signs with.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

ASSUME = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(endpoint: str, instances: int) -> dict[str, object]:
    import boto3

    def client(name: str):  # type: ignore[no-untyped-def]
        return boto3.client(name, region_name=REGION, endpoint_url=endpoint)

    s3, ec2, iam, rds = client("s3"), client("ec2"), client("iam"), client("rds")
    for name in ("managed-logs", "deleted-bucket", "unmanaged-bucket"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_tagging(Bucket="managed-logs", Tagging={"TagSet": [{"Key": "Env", "Value": "prod"}]})
    s3.put_bucket_versioning(Bucket="managed-logs", VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket="managed-logs",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False,
        },
    )
    s3.delete_bucket(Bucket="deleted-bucket")

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "main"}])
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web servers", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image, InstanceType="t2.micro", MinCount=1, MaxCount=1, SubnetId=subnet, SecurityGroupIds=[group]
    )["Instances"][0]["InstanceId"]
    extra = []
    if instances:
        # Some reservations, so that pages (which moto counts in
        # reservations) have something to split.
        batch = min(100, max(1, instances // 10))
        for start in range(0, instances, batch):
            count = min(batch, instances - start)
            made = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=count, MaxCount=count)
            extra.extend(i["InstanceId"] for i in made["Instances"])

    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(ASSUME))
    iam.create_user(UserName="alice")
    policy = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(READ))["Policy"]["Arn"]
    db = rds.create_db_instance(
        DBInstanceIdentifier="db1",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="secret-password",
    )["DBInstance"]
    return {
        "vpc": vpc,
        "subnet": subnet,
        "security_group": group,
        "instance": instance,
        "image": image,
        "policy": policy,
        "db_resource_id": db["DbiResourceId"],
        "instances": extra,
        "assume_role_policy": ASSUME,
        "read_policy": READ,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", action="store_true")
    parser.add_argument("--instances", type=int, default=0)
    args = parser.parse_args()
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        sys.exit("moto[server] is not installed in this Python; `make test` installs it")
    # One line of werkzeug's log a request would drown the test's output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    ready: dict[str, object] = {"endpoint": endpoint, "region": REGION}
    if args.seed or args.instances:
        ready["seed"] = seed(endpoint, args.instances)
    print(json.dumps(ready), flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
