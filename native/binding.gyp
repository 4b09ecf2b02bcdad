{
  # The libpcap binding behind `grpctk capture`. Built by native/build.js (npm's install script), which turns a
  # missing libpcap-dev or a failed build into a notice instead of a failed `npm install`.
  "targets": [
    {
      "target_name": "grpctk_pcap",
      "sources": ["grpctk_pcap.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      # Node-API 8 is in every Node >= 12.22; nothing newer is needed.
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "libraries": ["-lpcap"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LIBRARY": "libc++",
            "MACOSX_DEPLOYMENT_TARGET": "10.15"
          }
        }]
      ]
    }
  ]
}
