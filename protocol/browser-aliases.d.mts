/** Module aliases for browser builds of the protocol core (see browser-aliases.mjs). */
export declare const BROWSER_ALIASES: Readonly<Record<'crypto' | 'util', string>>;
