// Generates src/generated/graphql.ts from the gateway's SDL and the shared documents.
// Run from this directory: `npx graphql-codegen` (or `npm run codegen`).
// CODEGEN_OUT_DIR redirects the output (tests/clients/test_clients.py uses it to diff
// a fresh generation against the committed file).
import type { CodegenConfig } from "@graphql-codegen/cli";

const outDir = process.env.CODEGEN_OUT_DIR ?? "src/generated";

const config: CodegenConfig = {
  overwrite: true,
  schema: "../../schema.graphql",
  documents: ["../documents/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    [`${outDir}/graphql.ts`]: {
      // typescript-operations 6 emits the input and enum types the documents use by itself,
      // so the `typescript` plugin (every schema type) is not needed.
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { JSON: "unknown" },
        useTypeImports: true,
        // Documents as plain query strings (TypedDocumentString): no graphql runtime needed.
        documentMode: "string",
      },
    },
  },
};

export default config;
