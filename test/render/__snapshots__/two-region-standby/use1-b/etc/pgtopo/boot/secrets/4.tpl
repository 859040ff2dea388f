[global]
repo1-cipher-pass=@@archiveCipher@@
