import type { VsoaReplicas } from '@vsoa/core';

/** Resolves once `count` of the pool's replicas are linked (at once if they already are). */
export function linked(replicas: VsoaReplicas, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (replicas.replicas().filter((r) => r.connected).length < count) return;
      replicas.off('connect', check);
      resolve();
    };
    replicas.on('connect', check);
    check();
  });
}
