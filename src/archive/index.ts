export { detectCompression, decompressStream, peek, type Compression } from './compression.js';
export {
  extractLayer, convertWhiteouts, diffIdOf, treeSize, type ExtractResult,
  WHITEOUT_PREFIX, WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE, OVERLAY_OPAQUE_XATTR,
} from './layer.js';
export { TarScanner } from './tar-scan.js';
export { rebaseTransforms, sedRegex, sedReplacement } from '../base/index.js';
export { tarCreate, tarExtract, type TarCreateOptions, type TarExtractOptions } from './gnu-tar.js';
export { tarHeader, tarPadding, tarTrailer, type TarHeader } from './tar-write.js';
export { gzipFile, GZIP_BLOCK, GZIP_LEVEL } from './gzip-parallel.js';
