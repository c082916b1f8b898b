/** The kit's stacks: per region a base stack and a regional stack; `buildGatehouse` wires them. */
export { RegionBaseStack, type RegionBaseStackProps } from './region-base-stack';
export { RegionalStack, type RegionalStackProps } from './regional-stack';
export { buildGatehouse, initialImageFor, initialConfigFor, gatewayImageBuild, IMAGE_CONTEXT_EXCLUDES, type GatehouseStacks } from './gatehouse';
export { addReleaseContractOutputs, type ReleaseContract } from './release-contract';
