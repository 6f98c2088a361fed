// The dashboard (`winnow serve`): a read-only web view over an experiment store.
export { serve, type ServeOptions, type Served } from './server.js';
export { StoreReader, type RunView, type JobView, type Figure } from './reader.js';
