/**
 * podcap-cdk: podcap's EKS pod-networking capacity checks as an aws-cdk-lib validation plugin.
 *
 *     import { Validations } from 'aws-cdk-lib';
 *     import { PodcapValidator } from 'podcap-cdk';
 *     Validations.of(app).addPlugins(new PodcapValidator());
 */
export { PodcapValidator, PodcapValidatorProps, PLUGIN_NAME, CONTEXT_LIVE, CONTEXT_STRICT, contextFlag } from './validator';
export { acknowledge, AcknowledgeOptions, PodcapWaivers, PODCAP_RESOURCE_TYPES, MIN_REASON, setPodcapMetadata } from './acknowledge';
