/** Where the SPA finds the Auth and Resource Servers: `<meta>` tags the web server rewrites at serve time. */
export interface AppConfig {
  authUrl: string;
  resourceUrl: string;
}

export const configMetaNames = {
  authUrl: "gatehouse-auth-url",
  resourceUrl: "gatehouse-resource-url",
} as const;

/** Reads the server URLs from the document, falling back to the embedded development defaults. */
export function readConfig(doc: Document): AppConfig {
  const read = (name: string, fallback: string): string => {
    const content = doc.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content.trim();
    return (content || fallback).replace(/\/+$/, "");
  };
  return {
    authUrl: read(configMetaNames.authUrl, "http://localhost:9000"),
    resourceUrl: read(configMetaNames.resourceUrl, "http://localhost:8080"),
  };
}
