import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ClusterState, World } from '../../world.js';

export function execUpgrade(world: World, cluster: ClusterState) {
  void world;
  void cluster;
  return (_req: IncomingMessage, socket: Socket, _head: Buffer): void => {
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  };
}
