export declare const NEEDED: string;
export declare function tooOld(version: string): string | undefined;
