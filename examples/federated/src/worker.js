// The coordinator Worker of a federation of manytask clients. Everything under
// /federations/<name>/ goes to that federation's Durable Object, a
// FederatedCoordinator from manytask: it runs the rounds, checks every update,
// aggregates exactly and keeps the versions of the global model. The Worker
// itself holds no state. ALLOWED_ORIGINS ('*', or origins separated by commas)
// lets browser clients served from elsewhere call it.
import { FederatedCoordinator, routeFederation } from 'manytask/federated/coordinator';

// The Durable Object class wrangler.toml binds as COORDINATOR.
export class Coordinator extends FederatedCoordinator {}

export default {
  async fetch(request, env) {
    const origins = env.ALLOWED_ORIGINS?.trim();
    const cors = !origins ? undefined : origins === '*' ? '*' : origins.split(',').map((o) => o.trim());
    const response = await routeFederation(request, env.COORDINATOR, { cors });
    return response ?? new Response('manytask federated coordinator: /federations/<name>/{start,status,model,update,connect}\n', { status: 404 });
  },
};
