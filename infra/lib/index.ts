/**
 * The Gatehouse CDK kit: compose the constructs into your own topology, or use the stacks as they
 * are (`buildGatehouse`). See README "Extend the stacks".
 */
export * from './constructs';
export * from './stacks';
export * from './config';
export * as names from './names';
export { applyChecks } from './checks';
export { applyControlTower, acknowledgeExemptions, exemptionsFor, CONTROL_TOWER_EXEMPTIONS, CONTROL_TOWER_PLUGIN, type ControlTowerExemption, type ControlTowerConfig, type ExemptionOptIn } from './control-tower';
