; Script-Fu helpers for the plug-in tests. Test images are made here, inside GIMP, so the tests
; need no binary fixtures: a seeded plasma is colourful, deterministic and has no flat areas.

(define (vks-new-image width height type)
  (let* ((image (car (gimp-image-new width height type)))
         (layer (car (gimp-layer-new image width height
                                     (if (= type GRAY) GRAY-IMAGE RGB-IMAGE)
                                     "Background" 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer image layer 0 0)
    (plug-in-plasma RUN-NONINTERACTIVE image layer 7 2.5)
    image))

(define (vks-layer image)
  (car (gimp-image-get-active-drawable image)))

; PNG of one drawable; keeps the colour of transparent pixels so alpha tests see everything.
(define (vks-save-drawable image drawable path)
  (file-png-save2 RUN-NONINTERACTIVE image drawable path path 0 9 0 0 0 0 0 0 1))

(define (vks-save image path)
  (vks-save-drawable image (vks-layer image) path))

(define (vks-load path)
  (car (file-png-load RUN-NONINTERACTIVE path path)))

; A failed check stops the batch command with an error, which run-gimp-test.sh reports.
(define (vks-assert condition message)
  (if (not condition) (error (string-append "assertion failed: " message))))

(define (vks-n-layers image)
  (car (gimp-image-get-layers image)))

; Stylize the whole drawable (no dialog).
(define (vks-apply image model strength scale new-layer)
  (plug-in-vkstyle RUN-NONINTERACTIVE image (vks-layer image) model strength scale new-layer ""))
