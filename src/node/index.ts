/**
 * `entente/server`: the party node (docs/NODE.md) from TypeScript: create a
 * node's folder, start it (its HTTPS API and dashboard, and the runs of
 * approved studies), and talk to a running node as a client. The `entente
 * node ...` commands are the same functions.
 */
export {
  initNode,
  loadConfig,
  NodeConfigError,
  type InitOptions,
  type NodeConfig,
} from './config.js';
export { startNode, type StartOptions, type RunningNode } from './server.js';
export { addLocalUser } from './local.js';
export { NodeClient, ClientError, type NodeProfile } from './client.js';
