export { RegistryClient, RepositorySession, MANIFEST_ACCEPT, type RepoName, type RegistryClientOptions, type FetchedManifest } from './client.js';
export { decodeAuthHeader, parseChallenges, hasCredentials, type RegistryAuth, type Challenge } from './auth.js';
export { endpointsFor, isInsecure, hostOf, type Endpoint } from './endpoints.js';
