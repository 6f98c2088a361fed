// `winnow data info|fetch`: where datasets are, what they hold, and downloading them.
export { fetchDataset, FETCH_SOURCES, fetchTargetDir } from '../../data/fetch.js';
export { datasetInfo, formatInfo } from '../../data/info.js';
export { DATASET_NAMES, SYNTHETIC_NAMES } from '../../data/registry.js';
