#!/usr/bin/env node
// The `sotto` CLI: registers tsx so the TypeScript sources run directly (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
