// Activation names as a user writes them (Keras and TF.js spellings alike), and
// the kernels' code for each: the one table Dense, the architectures, the task
// heads and the autoencoder check their options against.

import { Act, type ActivationName } from './abi.js';
import { ArgumentError } from './errors.js';
import { show } from './validate.js';

/** Activation names as a Keras/TF.js user writes them. */
export type Activation =
  | 'identity' | 'linear' | 'relu' | 'leakyRelu' | 'leaky_relu' | 'elu' | 'gelu' | 'sigmoid' | 'tanh' | 'softplus';

/** Each name's kernel activation (the aliases linear and leaky_relu included). */
export const ACTIVATIONS: Readonly<Record<Activation, ActivationName>> = {
  identity: 'identity', linear: 'identity', relu: 'relu', leakyRelu: 'leakyRelu', leaky_relu: 'leakyRelu',
  elu: 'elu', gelu: 'gelu', sigmoid: 'sigmoid', tanh: 'tanh', softplus: 'softplus',
};

/** Checks an activation name; the error lists the names. */
export function checkActivation(where: string, value: unknown): Activation {
  if (typeof value !== 'string' || !Object.hasOwn(ACTIVATIONS, value)) {
    throw new ArgumentError(`${where}: unknown activation ${show(value)} (known: ${Object.keys(ACTIVATIONS).join(', ')})`);
  }
  return value as Activation;
}

/** The kernel code of a checked activation name. */
export function activationCode(name: Activation): number {
  return Act[ACTIVATIONS[name]];
}
