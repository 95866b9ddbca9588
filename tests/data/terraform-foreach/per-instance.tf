terraform {
  required_providers { aws = { source = "hashicorp/aws", version = "5.100.0" } }
}
provider "aws" {
  region = "us-east-1"
  access_key = "testing"
  secret_key = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id = true
  skip_metadata_api_check = true
}
variable "groups" {
  default = {
    web = { subnet = "b", max = 4, type = "m5.large" }
    batch = { subnet = "c", max = 3, type = "c5.xlarge" }
  }
}
resource "aws_vpc" "main" { cidr_block = "10.0.0.0/16" }
resource "aws_subnet" "private" {
  for_each = toset(["a", "b", "c"])
  vpc_id = aws_vpc.main.id
  cidr_block = cidrsubnet("10.0.0.0/16", 10, index(["a", "b", "c"], each.key))
  availability_zone = "us-east-1${each.key}"
}
resource "aws_subnet" "counted" {
  count = 2
  vpc_id = aws_vpc.main.id
  cidr_block = "10.0.${100 + count.index}.0/27"
  availability_zone = count.index == 0 ? "us-east-1a" : "us-east-1b"
}
resource "aws_eks_cluster" "c" {
  name = "c"
  role_arn = "arn:aws:iam::123456789012:role/eks"
  vpc_config { subnet_ids = values(aws_subnet.private)[*].id }
}
resource "aws_eks_node_group" "by_value" {
  for_each = var.groups
  cluster_name = aws_eks_cluster.c.name
  node_group_name = each.key
  node_role_arn = "arn:aws:iam::123456789012:role/node"
  subnet_ids = [aws_subnet.private[each.value.subnet].id]
  instance_types = [each.value.type]
  scaling_config {
    desired_size = 1
    min_size = 1
    max_size = each.value.max
  }
}
resource "aws_eks_node_group" "counted" {
  count = 2
  cluster_name = aws_eks_cluster.c.name
  node_group_name = "counted-${count.index}"
  node_role_arn = "arn:aws:iam::123456789012:role/node"
  subnet_ids = [aws_subnet.counted[count.index].id]
  instance_types = ["t3.medium"]
  scaling_config {
    desired_size = 1
    min_size = 1
    max_size = 3
  }
}
resource "aws_eks_node_group" "per_subnet" {
  for_each = aws_subnet.private
  cluster_name = aws_eks_cluster.c.name
  node_group_name = "per-${each.key}"
  node_role_arn = "arn:aws:iam::123456789012:role/node"
  subnet_ids = [each.value.id]
  instance_types = ["t3.small"]
  scaling_config {
    desired_size = 1
    min_size = 1
    max_size = 2
  }
}
