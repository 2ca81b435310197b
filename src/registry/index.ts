export { registryMain, type RegistryIo } from './cli.js';
export { RegistryServer, type RequestRecord } from './server.js';
export { RegistryStorage } from './storage.js';
export { loadConfig, type RegistryConfig } from './config.js';
export { bcryptHash, bcryptVerify } from './bcrypt.js';
