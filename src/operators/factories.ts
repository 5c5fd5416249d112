import type { ConnectorFactory } from './registry.js';

/** Every production connector module (ADR 0009 and one ADR per connector). */
export const CONNECTOR_FACTORIES: readonly ConnectorFactory[] = [];
