provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
locals {
  azs = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}
module "vpc" {
  source          = "./modules/vpc"
  cidr            = "10.0.0.0/16"
  azs             = local.azs
  private_subnets = ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
  public_subnets  = ["10.0.101.0/24", "10.0.102.0/24", "10.0.103.0/24"]
}
module "eks" {
  source       = "./modules/eks"
  cluster_name = "my-cluster"
  subnet_ids   = module.vpc.private_subnets
  cluster_addons = {
    vpc-cni = {
      before_compute       = true
      configuration_values = jsonencode({ env = { ENABLE_PREFIX_DELEGATION = "true", WARM_PREFIX_TARGET = "1" } })
    }
  }
  eks_managed_node_groups = {
    general = {
      instance_types = ["m6i.large"]
      ami_type       = "AL2023_x86_64_STANDARD"
      min_size       = 2
      max_size       = 10
      desired_size   = 2
    }
  }
  self_managed_node_groups = {
    legacy = {
      instance_type = "m5.large"
      ami_id        = "ami-0123456789abcdef0"
      min_size      = 2
      max_size      = 6
      desired_size  = 2
    }
  }
}
