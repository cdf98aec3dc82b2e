export {
  type ComposeCheck,
  type ComposeFile,
  type ComposeService,
  checkCompose,
  loadCompose,
} from './compose.ts';
export {
  describe,
  type K8sObject,
  manifestFiles,
  parseManifests,
  render,
  schemaErrors,
} from './k8s.ts';
export { checkKustomize } from './overlays.ts';
export { policyErrors } from './policy.ts';
export {
  type ConfigProblem,
  type ConfigSchema,
  checkServiceConfig,
  composeConfigProblems,
  configProblems,
  formatProblem,
  k8sConfigProblems,
  loadSchemas,
} from './service-config.ts';
export { strictErrors } from './strict.ts';
