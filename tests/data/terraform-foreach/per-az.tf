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
variable "azs" {
  default = { a = { az = "us-east-1a", cidr = "10.0.0.0/26" }, b = { az = "us-east-1b", cidr = "10.0.1.0/24" } }
}
resource "aws_vpc" "main" { cidr_block = "10.0.0.0/16" }
resource "aws_subnet" "private" {
  for_each = var.azs
  vpc_id = aws_vpc.main.id
  cidr_block = each.value.cidr
  availability_zone = each.value.az
}
resource "aws_eks_cluster" "c" {
  name = "c"
  role_arn = "arn:aws:iam::123456789012:role/eks"
  vpc_config { subnet_ids = [for s in aws_subnet.private : s.id] }
}
resource "aws_eks_node_group" "ng" {
  for_each = var.azs
  cluster_name = aws_eks_cluster.c.name
  node_group_name = "ng-${each.key}"
  node_role_arn = "arn:aws:iam::123456789012:role/node"
  subnet_ids = [aws_subnet.private[each.key].id]
  instance_types = ["m5.large"]
  scaling_config {
    desired_size = 2
    min_size = 1
    max_size = 5
  }
}
resource "aws_eks_node_group" "others" {
  for_each = toset(["a"])
  cluster_name = aws_eks_cluster.c.name
  node_group_name = "others-${each.key}"
  node_role_arn = "arn:aws:iam::123456789012:role/node"
  subnet_ids = [for k, s in aws_subnet.private : s.id if k != each.key]
  instance_types = ["t3.medium"]
  scaling_config {
    desired_size = 1
    min_size = 1
    max_size = 2
  }
}
