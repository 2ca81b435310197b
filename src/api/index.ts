import type { Server } from 'node:http';
import type { Engine } from '../engine/index.js';
import { Router } from './router.js';
import { createApiServer } from './server.js';
import { systemRoutes } from './routes/system.js';
import { containerRoutes } from './routes/containers.js';
import { imageRoutes } from './routes/images.js';
import { observeRoutes } from './routes/observe.js';
import { streamRoutes } from './routes/streams.js';
import { archiveRoutes } from './routes/archive.js';
import { imageStoreRoutes } from './routes/image-store.js';
import { authRoutes } from './routes/auth.js';

export { API_VERSION, MIN_API_VERSION } from './server.js';

/** Builds the Engine API HTTP server over an engine. */
export function createEngineApi(engine: Engine, version: string): Server {
  const router = new Router();
  systemRoutes(router, engine);
  containerRoutes(router, engine);
  imageRoutes(router, engine);
  observeRoutes(router, engine);
  streamRoutes(router, engine);
  archiveRoutes(router, engine);
  imageStoreRoutes(router, engine);
  authRoutes(router, engine);
  return createApiServer(router, { version });
}
