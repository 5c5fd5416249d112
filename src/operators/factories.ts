import { moovBurkinaFactory } from './moov-bf.js';
import { mtnMomoFactory } from './mtn-momo.js';
import { orangeBurkinaFactory } from './orange-bf.js';
import { orangeWebPayFactory } from './orange-webpay.js';
import type { ConnectorFactory } from './registry.js';
import { waveFactory } from './wave.js';

/**
 * Every production connector module, by the `type` of a connectors-file entry (ADR 0009; one ADR
 * per connector: 0010 MTN MoMo, 0011 Orange Money, 0012 Moov Africa Burkina, 0013 Wave).
 */
export const CONNECTOR_FACTORIES: readonly ConnectorFactory[] = [
  mtnMomoFactory,
  orangeBurkinaFactory,
  orangeWebPayFactory,
  moovBurkinaFactory,
  waveFactory,
];
