// Placeholder; implementation in progress.
export {};
