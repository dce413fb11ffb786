// `manytask/federated`: the federated client (browser, Node, Deno, Bun). It
// trains the models of 'manytask' — call that entry's `init()` first.
export { FederatedClient, startFederation, layoutOf } from '../federated/client.js';
export type {
  FederatedClientOptions, ClientData, RoundOptions, RunOptions, RoundResult, FederationStatus, FetchFunction, StartOptions,
} from '../federated/client.js';
export { FederatedError } from '../federated/errors.js';
export type { FederatedReason } from '../federated/errors.js';
export type { DeltaEncoding } from '../federated/codec.js';
export type { FederatedLayout, LayoutPart, LayoutTensor } from '../federated/layout.js';
export type { FederationOptions, TaskParts, RoundRecord } from '../federated/federation.js';
export type { PrivacyOptions, PrivacyRecord } from '../federated/privacy.js';
export type { ServerOptimizerSpec, ServerOptimizerConfig } from '../federated/server-optimizer.js';
export type { ProximalOptions } from '../mtl/proximal.js';
