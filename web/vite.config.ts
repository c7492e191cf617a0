// Used by `npm run dev` and `npm run build` for those who have npm; scripts/build-web produces the
// same layout (dist/index.html, dist/assets/app-[hash].js|css, a chunk per import() as
// assets/[name]-[hash].js) with tsc + esbuild alone.
export default {
  build: {
    target: "es2020",
    outDir: "dist",
    rollupOptions: {
      output: {
        entryFileNames: "assets/app-[hash].js",
        chunkFileNames: "assets/[name]-[hash].js",
        assetFileNames: "assets/app-[hash][extname]",
      },
    },
  },
  server: { port: 5173, strictPort: true },
};
