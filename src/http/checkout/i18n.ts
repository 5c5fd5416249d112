import type { ValidationMode } from '../../core/operators.js';

/**
 * The payment page's words, French by default and English on request (`?lang=en`, or an
 * `Accept-Language` that prefers English). Both dictionaries have exactly the same keys.
 */
export type Lang = 'fr' | 'en';
export const LANGS: readonly Lang[] = ['fr', 'en'];

const fr = {
  title: 'Paiement',
  payTo: 'Paiement à',
  reference: 'Référence',
  item: 'Article',
  quantity: 'Qté',
  price: 'Prix',
  total: 'Total',
  chooseOperator: 'Choisissez votre moyen de paiement',
  noOperator: "Aucun moyen de paiement n'est disponible pour ce montant.",
  phoneLabel: 'Votre numéro',
  phoneHint: "Avec l'indicatif du pays, par exemple",
  otpLabel: 'Code de paiement',
  otpHint: 'Composez {code} sur votre téléphone pour obtenir votre code de paiement.',
  pay: 'Payer',
  changeOperator: 'Choisir un autre moyen de paiement',
  cancel: 'Annuler et retourner à la boutique',
  waitingTitle: 'Paiement en attente de confirmation',
  autoRefresh: 'Cette page se met à jour toute seule.',
  refresh: 'Actualiser',
  continueTo: 'Continuer vers {operator}',
  completedTitle: 'Paiement réussi',
  completedText: 'Votre paiement a bien été reçu.',
  failedTitle: 'Paiement non abouti',
  failedText: "Le paiement n'a pas été effectué : aucun montant n'a été débité.",
  cancelledTitle: 'Paiement annulé',
  cancelledText: "Vous avez annulé le paiement : aucun montant n'a été débité.",
  leftText:
    'Vous avez quitté la page. Si vous avez déjà validé sur votre téléphone, le paiement sera quand même pris en compte.',
  returnToShop: 'Retourner à la boutique',
  redirecting: 'Vous allez être redirigé vers la boutique.',
  notFoundTitle: 'Facture introuvable',
  notFoundText: "Ce lien de paiement n'est pas valide.",
  otherLanguage: 'English',
  securedBy: 'Paiement sécurisé par Cauri',
  sandboxTitle: 'Bac à sable',
  sandboxPush: 'Simulez la réponse du client sur son téléphone :',
  sandboxDial: 'Simulez le client qui compose le code USSD :',
  sandboxOtp: 'Obtenez un code de paiement comme le client, en composant le code USSD :',
  sandboxCode: 'Code affiché sur le téléphone :',
  approve: 'Approuver',
  decline: 'Refuser',
  dial: 'Composer',
  error: 'Une erreur est survenue. Réessayez.',
} as const;

type Messages = Record<keyof typeof fr, string>;

const en: Messages = {
  title: 'Payment',
  payTo: 'Payment to',
  reference: 'Reference',
  item: 'Item',
  quantity: 'Qty',
  price: 'Price',
  total: 'Total',
  chooseOperator: 'Choose how to pay',
  noOperator: 'No payment method is available for this amount.',
  phoneLabel: 'Your number',
  phoneHint: 'With the country code, for example',
  otpLabel: 'Payment code',
  otpHint: 'Dial {code} on your phone to get your payment code.',
  pay: 'Pay',
  changeOperator: 'Choose another payment method',
  cancel: 'Cancel and return to the shop',
  waitingTitle: 'Payment awaiting confirmation',
  autoRefresh: 'This page updates by itself.',
  refresh: 'Refresh',
  continueTo: 'Continue to {operator}',
  completedTitle: 'Payment successful',
  completedText: 'Your payment has been received.',
  failedTitle: 'Payment failed',
  failedText: 'The payment did not go through: no money was taken.',
  cancelledTitle: 'Payment cancelled',
  cancelledText: 'You cancelled the payment: no money was taken.',
  leftText: 'You left the page. If you already approved on your phone, the payment will still go through.',
  returnToShop: 'Return to the shop',
  redirecting: 'You will be taken back to the shop.',
  notFoundTitle: 'Invoice not found',
  notFoundText: 'This payment link is not valid.',
  otherLanguage: 'Français',
  securedBy: 'Secure payment by Cauri',
  sandboxTitle: 'Sandbox',
  sandboxPush: "Simulate the customer's answer on their phone:",
  sandboxDial: 'Simulate the customer dialling the USSD code:',
  sandboxOtp: 'Get a payment code as the customer would, by dialling the USSD code:',
  sandboxCode: 'Code shown on the phone:',
  approve: 'Approve',
  decline: 'Decline',
  dial: 'Dial',
  error: 'Something went wrong. Please try again.',
};

export const MESSAGES: Record<Lang, Messages> = { fr, en };

/** How the customer approves, per validation mode, before and while waiting. */
const MODE_HINTS: Record<Lang, Record<ValidationMode, { before: string; waiting: string }>> = {
  fr: {
    sms_otp: { before: 'Vous recevrez un code par SMS.', waiting: 'Saisissez le code reçu par SMS.' },
    ussd_otp: {
      before: 'Composez {code} sur votre téléphone pour obtenir votre code de paiement.',
      waiting: 'Votre paiement est en cours de traitement.',
    },
    ussd_push: {
      before:
        'Vous recevrez une demande de paiement sur votre téléphone : validez-la avec votre code secret.',
      waiting:
        'Une demande de paiement a été envoyée au {phone}. Validez-la avec votre code secret {operator}.',
    },
    guided_ussd: {
      before: 'Vous recevrez un SMS avec le code USSD à composer pour payer.',
      waiting: 'Composez {code} sur le {phone} et suivez les instructions pour payer.',
    },
    ligdicash_redirect: {
      before: 'Vous confirmerez le paiement dans votre application {operator}.',
      waiting: 'Ouvrez votre application {operator} sur le {phone} et confirmez le paiement.',
    },
    operator_redirect: {
      before: 'Vous serez dirigé vers la page de paiement {operator}.',
      waiting: 'Terminez le paiement sur la page {operator}.',
    },
  },
  en: {
    sms_otp: {
      before: 'You will receive a code by text message.',
      waiting: 'Enter the code you received by text message.',
    },
    ussd_otp: {
      before: 'Dial {code} on your phone to get your payment code.',
      waiting: 'Your payment is being processed.',
    },
    ussd_push: {
      before: 'You will receive a payment request on your phone: approve it with your PIN.',
      waiting: 'A payment request was sent to {phone}. Approve it with your {operator} PIN.',
    },
    guided_ussd: {
      before: 'You will receive a text message with the USSD code to dial to pay.',
      waiting: 'Dial {code} on {phone} and follow the instructions to pay.',
    },
    ligdicash_redirect: {
      before: 'You will confirm the payment in your {operator} app.',
      waiting: 'Open your {operator} app on {phone} and confirm the payment.',
    },
    operator_redirect: {
      before: "You will be taken to {operator}'s payment page.",
      waiting: "Finish the payment on {operator}'s page.",
    },
  },
};

export function modeHint(lang: Lang, mode: ValidationMode, when: 'before' | 'waiting'): string {
  return MODE_HINTS[lang][mode][when];
}

/** Page errors come from this closed list, passed in the URL as a code, never as text. */
export const PAGE_ERRORS = [
  'otp_invalid',
  'otp_expired',
  'otp_missing',
  'phone_invalid',
  'phone_mismatch',
  'operator_unavailable',
  'too_many_attempts',
  'busy',
  'final',
  'csrf',
  'dial_failed',
] as const;
export type PageError = (typeof PAGE_ERRORS)[number];

const ERRORS: Record<Lang, Record<PageError, string>> = {
  fr: {
    otp_invalid: 'Code de paiement incorrect.',
    otp_expired:
      'Ce code de paiement a expiré ou a déjà servi. Composez à nouveau le code USSD pour en obtenir un autre.',
    otp_missing: 'Saisissez votre code de paiement.',
    phone_invalid: "Numéro invalide : saisissez-le avec l'indicatif du pays.",
    phone_mismatch: 'Ce numéro ne correspond pas au moyen de paiement choisi.',
    operator_unavailable: "Ce moyen de paiement n'est pas disponible.",
    too_many_attempts: 'Trop de tentatives. Retournez à la boutique pour recommencer.',
    busy: 'Un paiement est déjà en cours pour cette facture.',
    final: 'Cette facture est déjà close.',
    csrf: 'La page a expiré. Réessayez.',
    dial_failed: "Ce numéro n'a pas pu obtenir de code.",
  },
  en: {
    otp_invalid: 'Wrong payment code.',
    otp_expired:
      'This payment code has expired or was already used. Dial the USSD code again to get a new one.',
    otp_missing: 'Enter your payment code.',
    phone_invalid: 'Invalid number: enter it with the country code.',
    phone_mismatch: 'This number does not belong to the chosen payment method.',
    operator_unavailable: 'This payment method is not available.',
    too_many_attempts: 'Too many attempts. Return to the shop to start again.',
    busy: 'A payment is already in progress for this invoice.',
    final: 'This invoice is already closed.',
    csrf: 'The page expired. Please try again.',
    dial_failed: 'No code could be issued for this number.',
  },
};

export function errorText(lang: Lang, error: PageError): string {
  return ERRORS[lang][error];
}

export function isPageError(value: unknown): value is PageError {
  return typeof value === 'string' && (PAGE_ERRORS as readonly string[]).includes(value);
}

/** Replaces `{name}` placeholders; the result is plain text, escaped where it is rendered. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** `?lang=` wins; otherwise the first of French or English by the `Accept-Language` weights; French by default. */
export function negotiateLang(query: unknown, acceptLanguage: unknown): Lang {
  if (query === 'en' || query === 'fr') return query;
  if (typeof acceptLanguage !== 'string' || acceptLanguage.length > 512) return 'fr';
  const ranked = acceptLanguage
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { lang: tag.split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.q > 0 && (entry.lang === 'fr' || entry.lang === 'en'))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.lang === 'en' ? 'en' : 'fr';
}

/** `5 000 FCFA` / `5,000 FCFA`. */
export function formatXof(lang: Lang, amountXof: number): string {
  return `${new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-US', { maximumFractionDigits: 0 }).format(amountXof)} FCFA`;
}
