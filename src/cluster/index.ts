// Unsupervised learning: k-means, mini-batch k-means, Gaussian mixtures and a
// dense autoencoder, each with a per-row anomaly score.
export { BaseKMeans, KMeans } from './kmeans.js';
export type { BaseKMeansOptions, KMeansOptions, KMeansInit } from './kmeans.js';
export { MiniBatchKMeans } from './minibatch.js';
export type { MiniBatchKMeansOptions } from './minibatch.js';
export { GaussianMixture } from './gmm.js';
export type {
  GaussianMixtureOptions, CovarianceType, GaussianMixtureInit, Precisions, GaussianMixtureSample, GaussianMixtureSampleOptions,
} from './gmm.js';
export { AutoEncoder } from './autoencoder.js';
export type { AutoEncoderOptions, AutoEncoderFitOptions, AutoEncoderHistory, AutoEncoderEpochLogs } from './autoencoder.js';
export type { Points, FlatPoints, RowMajorArray, ResultOptions, SampleWeight, SampleWeightOptions } from './common.js';
