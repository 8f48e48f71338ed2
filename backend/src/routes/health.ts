/**
 * `GET /healthz`: the relay is up, and which enclaves answer their checks,
 * by their index in `SOTTO_ENCLAVES`. Never their URLs (internal addresses an
 * attacker could aim at), nothing about clients or keys.
 */
import type { Request, Response } from 'express';
import type { EnclavePool } from '../pool';

export function healthRoute(pool: EnclavePool) {
  return (_req: Request, res: Response): void => {
    const enclaves = pool.status();
    res.setHeader('cache-control', 'no-store');
    res.status(200).json({ ok: enclaves.some((e) => e.healthy), enclaves });
  };
}
