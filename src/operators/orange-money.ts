/**
 * The Orange Money connectors (ADR 0011): Orange Burkina's USSD-OTP XML API, and Orange Money
 * WebPay for Côte d'Ivoire and Mali. Two APIs with nothing in common but the brand, so two modules.
 */
export { orangeBurkinaFactory } from './orange-bf.js';
export { orangeWebPayFactory } from './orange-webpay.js';
