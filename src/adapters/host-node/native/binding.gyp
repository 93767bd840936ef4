{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
    "cflags_cc": ["-fexceptions", "-std=c++17"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "MACOSX_DEPLOYMENT_TARGET": "11.0"
    }
  },
  "targets": [
    { "target_name": "elfuse_tty", "sources": ["tty.cc"] },
    { "target_name": "elfuse_posix", "sources": ["posix.cc", "shm.cc", "socket.cc", "notify.cc", "netif.cc"] },
    { "target_name": "elfuse", "type": "executable", "sources": ["launch.c"] }
  ]
}
