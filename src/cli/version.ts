// Replaced at bundle time; reading package.json at run time would cost a file read per start.
declare const __DOAI_VERSION__: string | undefined;
export const VERSION: string = typeof __DOAI_VERSION__ === 'string' ? __DOAI_VERSION__ : '0.0.0-dev';
