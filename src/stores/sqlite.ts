// Placeholder entry point; implementation in progress.
export {};
