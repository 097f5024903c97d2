{
  "targets": [
    {
      "target_name": "entente_native",
      "sources": ["aes.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"]
    }
  ]
}
