import { UnavailableError } from '../../base/index.js';

export async function ServiceUnavailable(): Promise<void> {
  throw new UnavailableError('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.');
}
