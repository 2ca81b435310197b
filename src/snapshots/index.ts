export { LayerStore, type LayerInfo } from './layer-store.js';
