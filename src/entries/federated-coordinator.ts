// `manytask/federated/coordinator`: the coordinator a Worker exports as a Durable
// Object class, its router, and the deployment's tokens. It needs no WebAssembly
// and no init(): it aggregates in JavaScript (src/federated/).
export { FederatedCoordinator, routeFederation } from '../federated/coordinator.js';
export type { RouteOptions } from '../federated/coordinator.js';
export { createToken, verifyToken, MIN_SECRET_LENGTH, WS_PROTOCOL } from '../federated/auth.js';
export type { TokenClaims, TokenRole, CreateTokenOptions } from '../federated/auth.js';
export { FederatedError } from '../federated/errors.js';
export type { FederatedReason } from '../federated/errors.js';
export type { FederationOptions, ResolvedOptions, TaskParts, RoundRecord, FederationState } from '../federated/federation.js';
export type { PrivacyOptions, PrivacyRecord } from '../federated/privacy.js';
export type { ServerOptimizerSpec, ServerOptimizerConfig } from '../federated/server-optimizer.js';
export type {
  CoordinatorState, CoordinatorEnv, StorageLike, BucketLike, HibernatingSocket, NamespaceLike, FetchRequest, FetchResponse,
} from '../federated/platform.js';
