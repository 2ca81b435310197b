export { LayerStore, type LayerInfo, type PreparedLayer } from './layer-store.js';
