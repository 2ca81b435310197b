import { InvalidArgumentError } from '../base/index.js';
import { parseDigest, type Digest } from './digest.js';

/**
 * Docker image references (github.com/distribution/reference grammar), normalised the way the docker CLI and
 * daemon do: `busybox` → `docker.io/library/busybox`, `index.docker.io` → `docker.io`.
 */
export interface Reference {
  /** Registry host[:port], e.g. `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  tag?: string;
  digest?: Digest;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const namePat = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const REFERENCE_RE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const TAG_RE = new RegExp(`^${tagPat}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

function invalid(msg = 'invalid reference format'): InvalidArgumentError {
  return new InvalidArgumentError(msg);
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** Parses an already fully-qualified reference string (no normalisation beyond splitting). */
function parseFull(s: string): Reference {
  if (s === '') throw invalid('invalid reference format: repository name must have at least one component');
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    if (REFERENCE_RE.test(s.toLowerCase())) throw invalid('invalid reference format: repository name must be lowercase');
    throw invalid();
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(`invalid reference format: repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const slash = name.indexOf('/');
  const ref: Reference = { domain: name.slice(0, slash), path: name.slice(slash + 1) };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) ref.digest = parseDigest(m[3]);
  return ref;
}

/**
 * ParseNormalizedNamed: accepts familiar (`busybox`, `user/app:1`) and qualified (`localhost:5000/a/b:t`,
 * `name@sha256:...`) forms. No default tag is added (see `withDefaultTag`). A bare 64-hex string is refused.
 */
export function parseNormalizedNamed(s: string): Reference {
  if (IDENTIFIER_RE.test(s)) {
    throw invalid(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  if (s === '') throw invalid('invalid reference format: repository name must have at least one component');
  const { domain, remainder } = splitDockerDomain(s);
  const at = remainder.indexOf('@');
  const beforeDigest = at === -1 ? remainder : remainder.slice(0, at);
  const colon = beforeDigest.indexOf(':');
  const remoteName = colon === -1 ? beforeDigest : beforeDigest.slice(0, colon);
  if (remoteName.toLowerCase() !== remoteName) {
    throw invalid(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }
  return parseFull(`${domain}/${remainder}`);
}

/** Adds `:latest` when the reference has neither tag nor digest (TagNameOnly). */
export function withDefaultTag(ref: Reference): Reference {
  if (ref.tag === undefined && ref.digest === undefined) return { ...ref, tag: DEFAULT_TAG };
  return ref;
}

/** parseNormalizedNamed + withDefaultTag. */
export function parseReference(s: string): Reference {
  return withDefaultTag(parseNormalizedNamed(s));
}

/** Validates a tag (`[\w][\w.-]{0,127}`). */
export function validateTag(tag: string): string {
  if (!TAG_RE.test(tag)) throw invalid();
  return tag;
}

/** The canonical repository name: `docker.io/library/busybox`. */
export function canonicalName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The canonical string: `docker.io/library/busybox:latest`, `docker.io/library/x@sha256:...`. */
export function canonicalString(ref: Reference): string {
  return canonicalName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** The familiar repository name: `busybox`, `user/app`, `localhost:5000/a/b`. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return canonicalName(ref);
  const rest = ref.path.startsWith(OFFICIAL_REPO_PREFIX) ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path;
  return rest.includes('/') ? ref.path : rest;
}

/** The familiar string: `busybox:latest`, `user/app@sha256:...`. */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** Canonical string → familiar string (`docker.io/library/busybox:latest` → `busybox:latest`). */
export function familiar(s: string): string {
  return familiarString(parseNormalizedNamed(s));
}

/** Any string → canonical string with default tag (`busybox` → `docker.io/library/busybox:latest`). */
export function normalize(s: string): string {
  return canonicalString(parseReference(s));
}

/** True for strings that look like (a prefix of) an image ID: hex, optionally `sha256:`-prefixed. */
export function looksLikeId(s: string): boolean {
  return /^(?:sha256:)?[a-f0-9]{1,64}$/.test(s);
}
